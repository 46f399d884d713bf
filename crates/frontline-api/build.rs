//! Rebuild when the web app is rebuilt: release builds embed `web/dist` (see `src/web.rs`).

fn main() {
    let dist = std::path::Path::new("../../web/dist");
    if dist.exists() {
        println!("cargo:rerun-if-changed=../../web/dist");
    } else {
        // Not built yet: watch for `web/dist` appearing (without rebuilding on every run).
        println!("cargo:rerun-if-changed=../../web");
    }
    println!("cargo:rerun-if-changed=build.rs");
}
