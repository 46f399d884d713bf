//! Sentence embeddings for the classifier and the knowledge base: the [`Embedder`] trait the
//! engine sees models through, and [`TextEmbedder`], the shared handle that adds two caches.
//!
//! The model (multilingual-e5-small through `frontline-e5`) costs tens of milliseconds per
//! message, so nothing is embedded twice if it can be helped:
//! - *known texts* (intent examples, knowledge-base passages) are embedded in batches and kept on
//!   disk ([`DiskCache`]), keyed by the model file's SHA-256 and the text's, so a restart, a
//!   configuration reload or an evaluation re-run embeds only what changed;
//! - *messages* are memoised in RAM for the last few texts, because the classifier and the
//!   knowledge base both ask for the same message in one turn. Customers' messages are never
//!   written to disk: the cache is not a place where personal data should pile up.
//!
//! Without a model nothing here is used: every caller takes an `Option<TextEmbedder>` and the
//! engine works lexically, as before.

use std::collections::HashMap;
use std::fmt;
use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use sha2::{Digest, Sha256};

pub use frontline_e5::{DIM, Embedding, Encoder, EncoderOptions, Kind, LoadError};

/// A sentence-embedding model. Embeddings are L2-normalised, so dot products are cosines.
pub trait Embedder: Send + Sync + fmt::Debug {
    /// Identifies the model's weights: cached vectors are keyed by it.
    fn model_id(&self) -> [u8; 32];
    fn embed(&self, text: &str, kind: Kind) -> Embedding;
    /// Several texts at once, in order; same results as one at a time, only faster.
    fn embed_batch(&self, texts: &[&str], kind: Kind) -> Vec<Embedding> {
        texts.iter().map(|t| self.embed(t, kind)).collect()
    }
}

impl Embedder for frontline_e5::Encoder {
    fn model_id(&self) -> [u8; 32] {
        self.sha256()
    }
    fn embed(&self, text: &str, kind: Kind) -> Embedding {
        frontline_e5::Encoder::embed(self, text, kind)
    }
    fn embed_batch(&self, texts: &[&str], kind: Kind) -> Vec<Embedding> {
        frontline_e5::Encoder::embed_batch(self, texts, kind)
    }
}

/// A stand-in model for tests and for machines without the model file's CPU features: hashed
/// character trigrams, so texts sharing spelling are close and nothing else is. It knows no
/// paraphrase, so it exercises the plumbing, never the quality.
#[derive(Debug, Clone, Copy, Default)]
pub struct TrigramEmbedder;

impl Embedder for TrigramEmbedder {
    fn model_id(&self) -> [u8; 32] {
        Sha256::digest(b"frontline trigram embedder v1").into()
    }
    fn embed(&self, text: &str, kind: Kind) -> Embedding {
        let mut v = [0.0f32; DIM];
        let chars: Vec<char> = format!(" {} ", super::normalize(text)).chars().collect();
        for w in chars.windows(3) {
            let h = Sha256::digest(w.iter().collect::<String>().as_bytes());
            let slot = u16::from_le_bytes([h[0], h[1]]) as usize % DIM;
            v[slot] += if h[2] & 1 == 0 { 1.0 } else { -1.0 };
        }
        // The prefix's share, as e5's prefixes shift every vector a little.
        v[kind as usize] += 0.5;
        normalise(&mut v);
        v
    }
}

/// Scales `v` to unit length (a zero vector stays zero).
pub fn normalise(v: &mut [f32]) {
    let norm = v.iter().map(|x| x * x).sum::<f32>().sqrt();
    if norm > 0.0 {
        for x in v {
            *x /= norm;
        }
    }
}

/// Dot product; the cosine of two unit vectors.
pub fn dot(a: &[f32], b: &[f32]) -> f32 {
    // Eight independent sums: a single running sum is one long dependency chain the compiler may
    // not reorder (float addition is not associative), eight of them vectorise. The
    // nearest-neighbour scores spend their time here.
    let mut acc = [0.0f32; 8];
    let (ca, cb) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f32 = ca
        .remainder()
        .iter()
        .zip(cb.remainder())
        .map(|(x, y)| x * y)
        .sum();
    for (x, y) in ca.zip(cb) {
        for i in 0..8 {
            acc[i] += x[i] * y[i];
        }
    }
    acc.iter().sum::<f32>() + tail
}

/// How many recent messages [`TextEmbedder::message`] remembers: one turn asks for the same
/// message from two or three stages, and a handful of conversations may interleave.
const RECENT: usize = 32;

/// The engine's handle on an embedding model, with its caches. Cheap to clone and share.
#[derive(Clone)]
pub struct TextEmbedder {
    inner: Arc<Inner>,
}

struct Inner {
    model: Arc<dyn Embedder>,
    disk: Option<DiskCache>,
    recent: Mutex<Vec<(Kind, String, Embedding)>>,
}

impl fmt::Debug for TextEmbedder {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("TextEmbedder")
            .field("model", &self.inner.model)
            .field("disk", &self.inner.disk)
            .finish_non_exhaustive()
    }
}

impl TextEmbedder {
    /// `model` without a disk cache (tests, one-off runs).
    pub fn new(model: Arc<dyn Embedder>) -> Self {
        Self::with_cache(model, None)
    }

    /// `model` with the embeddings of known texts kept in `disk`.
    pub fn with_cache(model: Arc<dyn Embedder>, disk: Option<DiskCache>) -> Self {
        Self {
            inner: Arc::new(Inner {
                model,
                disk,
                recent: Mutex::new(Vec::with_capacity(RECENT)),
            }),
        }
    }

    pub fn model_id(&self) -> [u8; 32] {
        self.inner.model.model_id()
    }

    /// A customer's message (as a query). Remembered in RAM for the next few calls, never
    /// stored.
    pub fn message(&self, text: &str) -> Embedding {
        self.remembered(text, Kind::Query)
    }

    /// `text` as `kind`, from the memo of recent calls or the model.
    pub fn remembered(&self, text: &str, kind: Kind) -> Embedding {
        let recent = |r: &Vec<(Kind, String, Embedding)>| {
            r.iter()
                .find(|(k, t, _)| *k == kind && t == text)
                .map(|e| e.2)
        };
        if let Some(e) = recent(&self.inner.recent.lock().unwrap_or_else(|p| p.into_inner())) {
            return e;
        }
        // Not holding the lock while the model runs: other conversations' turns go on meanwhile.
        let e = self.inner.model.embed(text, kind);
        let mut r = self.inner.recent.lock().unwrap_or_else(|p| p.into_inner());
        if recent(&r).is_none() {
            if r.len() == RECENT {
                r.remove(0);
            }
            r.push((kind, text.to_owned(), e));
        }
        e
    }

    /// Texts the engine was configured with (examples, passages): read from the disk cache when
    /// there, otherwise embedded in one batch and stored.
    pub fn known(&self, texts: &[&str], kind: Kind) -> Vec<Embedding> {
        let Some(disk) = &self.inner.disk else {
            return self.inner.model.embed_batch(texts, kind);
        };
        let mut out: Vec<Option<Embedding>> = disk.get_many(texts, kind);
        let mut missing: Vec<&str> = Vec::new();
        let mut seen: HashMap<&str, ()> = HashMap::new();
        for (t, e) in texts.iter().zip(&out) {
            if e.is_none() && seen.insert(t, ()).is_none() {
                missing.push(t);
            }
        }
        if !missing.is_empty() {
            let fresh = self.inner.model.embed_batch(&missing, kind);
            if let Err(e) = disk.put_many(&missing, kind, &fresh) {
                tracing::warn!(error = %e, dir = %disk.path.display(), "embedding cache not written");
            }
            let by_text: HashMap<&str, &Embedding> = missing.iter().copied().zip(&fresh).collect();
            for (t, e) in texts.iter().zip(out.iter_mut()) {
                if e.is_none() {
                    *e = by_text.get(t).map(|v| **v);
                }
            }
        }
        out.into_iter()
            .map(|e| e.expect("every text embedded"))
            .collect()
    }
}

/// Embeddings of known texts on disk: one append-only file per model,
/// `{dir}/{first 16 hex digits of the model's sha256}.emb`, of fixed-size records (a 16-byte key
/// = the first half of `sha256(kind, text)`, then the vector as little-endian `f32`s) after a
/// header naming the model in full.
///
/// Only an index (key → offset) lives in RAM; vectors are read when asked for, so a cache that
/// also holds an evaluation's thirty thousand texts costs the server a megabyte, not fifty.
/// Writers take an exclusive lock on the file (another process — an evaluation, a second server —
/// may append at the same time), pick up records others appended meanwhile, and cut a record
/// left half-written by a crash before appending.
pub struct DiskCache {
    path: PathBuf,
    model: [u8; 32],
    file: File,
    index: Mutex<Index>,
}

#[derive(Default)]
struct Index {
    offsets: HashMap<[u8; 16], u64>,
    /// The file length this index has read up to.
    end: u64,
}

impl fmt::Debug for DiskCache {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("DiskCache")
            .field("path", &self.path)
            .field(
                "entries",
                &self
                    .index
                    .lock()
                    .map(|i| i.offsets.len())
                    .unwrap_or_default(),
            )
            .finish()
    }
}

const MAGIC: &[u8; 8] = b"FLEMB01\n";
const HEADER: u64 = 8 + 32 + 4;
const RECORD: u64 = 16 + 4 * DIM as u64;

impl DiskCache {
    /// Opens (creating when needed) the cache of `model`'s embeddings in `dir`. A file whose
    /// header names another model or dimension is started afresh.
    pub fn open(dir: &Path, model: [u8; 32]) -> std::io::Result<DiskCache> {
        std::fs::create_dir_all(dir)?;
        let name: String = model[..8].iter().map(|b| format!("{b:02x}")).collect();
        let path = dir.join(format!("{name}.emb"));
        let file = OpenOptions::new()
            .read(true)
            .append(true)
            .create(true)
            .open(&path)?;
        file.lock()?;
        let mut header = Vec::with_capacity(HEADER as usize);
        header.extend_from_slice(MAGIC);
        header.extend_from_slice(&model);
        header.extend_from_slice(&(DIM as u32).to_le_bytes());
        let mut existing = vec![0u8; HEADER as usize];
        let valid = file.metadata()?.len() >= HEADER
            && file.read_exact_at(&mut existing, 0).is_ok()
            && existing == header;
        if !valid {
            file.set_len(0)?;
            (&file).write_all(&header)?;
        }
        file.unlock()?;
        let cache = DiskCache {
            path,
            model,
            file,
            index: Mutex::new(Index {
                offsets: HashMap::new(),
                end: HEADER,
            }),
        };
        cache.catch_up(&mut cache.index.lock().unwrap_or_else(|p| p.into_inner()))?;
        Ok(cache)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Entries known to this process.
    pub fn len(&self) -> usize {
        self.index
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .offsets
            .len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn key(kind: Kind, text: &str) -> [u8; 16] {
        let mut h = Sha256::new();
        h.update([kind as u8]);
        h.update(text.as_bytes());
        let digest = h.finalize();
        digest[..16].try_into().expect("16 of 32 bytes")
    }

    /// Indexes the complete records between what the index has read and the end of the file.
    fn catch_up(&self, index: &mut Index) -> std::io::Result<()> {
        let len = self.file.metadata()?.len();
        let complete = HEADER + (len.saturating_sub(HEADER) / RECORD) * RECORD;
        if complete <= index.end {
            return Ok(());
        }
        // Whole records are read for their keys: one sequential read, and a cache is small next
        // to the model.
        let mut records = vec![0u8; (complete - index.end) as usize];
        self.file.read_exact_at(&mut records, index.end)?;
        let mut at = index.end;
        for record in records.chunks_exact(RECORD as usize) {
            let key: [u8; 16] = record[..16].try_into().expect("16 bytes");
            index.offsets.insert(key, at + 16);
            at += RECORD;
        }
        index.end = complete;
        Ok(())
    }

    /// The cached embeddings of `texts`, `None` where there is none (or it is unreadable).
    pub fn get_many(&self, texts: &[&str], kind: Kind) -> Vec<Option<Embedding>> {
        let index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        texts
            .iter()
            .map(|t| {
                let at = *index.offsets.get(&Self::key(kind, t))?;
                let mut bytes = [0u8; 4 * DIM];
                self.file.read_exact_at(&mut bytes, at).ok()?;
                let mut e = [0.0f32; DIM];
                for (x, b) in e.iter_mut().zip(bytes.chunks_exact(4)) {
                    *x = f32::from_le_bytes(b.try_into().expect("4 bytes"));
                }
                // A damaged record is recomputed rather than believed.
                e.iter().all(|x| x.is_finite()).then_some(e)
            })
            .collect()
    }

    /// Appends the embeddings of `texts` (skipping those another process stored meanwhile).
    pub fn put_many(
        &self,
        texts: &[&str],
        kind: Kind,
        embeddings: &[Embedding],
    ) -> std::io::Result<()> {
        let mut index = self.index.lock().unwrap_or_else(|p| p.into_inner());
        self.file.lock()?;
        let result = (|| {
            self.catch_up(&mut index)?;
            // A record cut short by a crash would shift every later one: drop it first.
            let len = self.file.metadata()?.len();
            if len != index.end {
                self.file.set_len(index.end)?;
            }
            let mut bytes = Vec::with_capacity(texts.len() * RECORD as usize);
            let mut added = Vec::new();
            for (t, e) in texts.iter().zip(embeddings) {
                let key = Self::key(kind, t);
                if index.offsets.contains_key(&key) || added.iter().any(|(k, _)| *k == key) {
                    continue;
                }
                added.push((key, index.end + bytes.len() as u64 + 16));
                bytes.extend_from_slice(&key);
                for x in e {
                    bytes.extend_from_slice(&x.to_le_bytes());
                }
            }
            (&self.file).write_all(&bytes)?;
            index.end += bytes.len() as u64;
            index.offsets.extend(added);
            Ok(())
        })();
        self.file.unlock()?;
        result
    }

    pub fn model(&self) -> [u8; 32] {
        self.model
    }
}

/// The real model for tests, from `FRONTLINE_TEST_E5_MODEL` or where `scripts/fetch-e5-model`
/// puts it, without a disk cache. `None` (the test then checks nothing and says so) when the file
/// is missing, unless `FRONTLINE_TEST_REQUIRE_E5` is set, as `scripts/test` does: then it fails.
#[cfg(test)]
pub(crate) fn test_encoder() -> Option<TextEmbedder> {
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
    let encoder = frontline_e5::Encoder::load(&path).expect("the e5 model loads");
    Some(TextEmbedder::new(Arc::new(encoder)))
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    /// Counts how often the model runs, to see what the caches spare.
    #[derive(Debug, Default)]
    struct Counting {
        calls: AtomicUsize,
    }

    impl Embedder for Counting {
        fn model_id(&self) -> [u8; 32] {
            [7; 32]
        }
        fn embed(&self, text: &str, kind: Kind) -> Embedding {
            self.calls.fetch_add(1, Ordering::SeqCst);
            TrigramEmbedder.embed(text, kind)
        }
    }

    fn temp_dir(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("frontline-embedding-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        dir
    }

    #[test]
    fn known_texts_are_embedded_once_across_restarts() {
        let dir = temp_dir("restart");
        let model = Arc::new(Counting::default());
        let open = || {
            TextEmbedder::with_cache(
                model.clone(),
                Some(DiskCache::open(&dir, model.model_id()).unwrap()),
            )
        };
        let texts = ["где мой заказ", "доставка", "где мой заказ"];
        let first = open().known(&texts, Kind::Query);
        // The duplicate is embedded once.
        assert_eq!(model.calls.load(Ordering::SeqCst), 2);
        assert_eq!(first[0], first[2]);
        assert_eq!(
            first[0],
            TrigramEmbedder.embed("где мой заказ", Kind::Query)
        );

        let again = open();
        assert_eq!(again.known(&texts, Kind::Query), first);
        assert_eq!(model.calls.load(Ordering::SeqCst), 2, "all from disk");
        // The kind is part of the key.
        again.known(&["доставка"], Kind::Passage);
        assert_eq!(model.calls.load(Ordering::SeqCst), 3);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn a_half_written_record_and_another_model_are_survived() {
        let dir = temp_dir("damage");
        let cache = DiskCache::open(&dir, [1; 32]).unwrap();
        let e = TrigramEmbedder.embed("возврат", Kind::Query);
        cache.put_many(&["возврат"], Kind::Query, &[e]).unwrap();
        let path = cache.path().to_owned();
        drop(cache);
        // A crash in the middle of the next record.
        let mut f = OpenOptions::new().append(true).open(&path).unwrap();
        f.write_all(&[0xAB; 100]).unwrap();
        drop(f);

        let cache = DiskCache::open(&dir, [1; 32]).unwrap();
        assert_eq!(cache.get_many(&["возврат"], Kind::Query), vec![Some(e)]);
        let f = TrigramEmbedder.embed("обмен", Kind::Query);
        cache.put_many(&["обмен"], Kind::Query, &[f]).unwrap();
        drop(cache);
        let cache = DiskCache::open(&dir, [1; 32]).unwrap();
        assert_eq!(
            cache.get_many(&["возврат", "обмен", "нет"], Kind::Query),
            vec![Some(e), Some(f), None]
        );
        assert_eq!(std::fs::metadata(&path).unwrap().len(), HEADER + 2 * RECORD);

        // Another model's vectors are never served: it has a file of its own.
        let other = DiskCache::open(&dir, [2; 32]).unwrap();
        assert_eq!(other.get_many(&["возврат"], Kind::Query), vec![None]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn two_writers_see_each_others_records() {
        let dir = temp_dir("writers");
        let a = DiskCache::open(&dir, [3; 32]).unwrap();
        let b = DiskCache::open(&dir, [3; 32]).unwrap();
        let (x, y) = (
            TrigramEmbedder.embed("x", Kind::Query),
            TrigramEmbedder.embed("y", Kind::Query),
        );
        a.put_many(&["x"], Kind::Query, &[x]).unwrap();
        b.put_many(&["y", "x"], Kind::Query, &[y, x]).unwrap();
        // b picked up a's record before appending, so "x" is stored once.
        assert_eq!(b.len(), 2);
        assert_eq!(
            std::fs::metadata(a.path()).unwrap().len(),
            HEADER + 2 * RECORD
        );
        assert_eq!(b.get_many(&["x", "y"], Kind::Query), vec![Some(x), Some(y)]);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn messages_are_remembered_not_stored() {
        let dir = temp_dir("messages");
        let model = Arc::new(Counting::default());
        let cache = DiskCache::open(&dir, model.model_id()).unwrap();
        let embedder = TextEmbedder::with_cache(model.clone(), Some(cache));
        let first = embedder.message("мой заказ не пришёл");
        assert_eq!(embedder.message("мой заказ не пришёл"), first);
        assert_eq!(model.calls.load(Ordering::SeqCst), 1);
        for i in 0..RECENT {
            embedder.message(&format!("другое {i}"));
        }
        // Pushed out of the memo by newer messages: computed again.
        embedder.message("мой заказ не пришёл");
        assert_eq!(model.calls.load(Ordering::SeqCst), RECENT + 2);
        let file = std::fs::read_dir(&dir).unwrap().next().unwrap().unwrap();
        assert_eq!(file.metadata().unwrap().len(), HEADER, "nothing written");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn dot_matches_the_plain_sum() {
        let a: Vec<f32> = (0..DIM + 3).map(|i| (i as f32 * 0.37).sin()).collect();
        let b: Vec<f32> = (0..DIM + 3).map(|i| (i as f32 * 0.11).cos()).collect();
        let plain: f32 = a.iter().zip(&b).map(|(x, y)| x * y).sum();
        assert!((dot(&a, &b) - plain).abs() < 1e-4);
        assert_eq!(dot(&[], &[]), 0.0);
    }

    #[test]
    fn trigram_stand_in_is_unit_length_and_spelling_sensitive() {
        let e = |t| TrigramEmbedder.embed(t, Kind::Query);
        let norm = dot(&e("заказ"), &e("заказ"));
        assert!((norm - 1.0).abs() < 1e-5);
        assert!(dot(&e("заказ"), &e("заказа")) > dot(&e("заказ"), &e("погода")));
    }
}
