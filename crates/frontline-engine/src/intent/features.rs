//! Text normalisation and sparse TF-IDF features for the intent classifier.
//!
//! A message becomes two blocks of hashed terms: *words* (unigrams, bigrams and Snowball stems)
//! and *characters* (n-grams inside word boundaries, like scikit-learn's `char_wb`). Character
//! n-grams are what lets a lexical model cope with Russian morphology and typos: `заказ`,
//! `заказа` and `заказы` share most of them. Each block is weighted with sublinear tf × idf and
//! L2-normalised on its own, so neither block drowns the other.
//!
//! Terms are hashed to 64 bits (collisions are negligible at that width) and mapped to dense
//! column ids through a vocabulary fitted on the training data, which keeps the weight matrix
//! as small as the training vocabulary rather than a fixed hash space.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use rust_stemmers::{Algorithm, Stemmer};

/// Lowercases, folds `ё` into `е` and turns everything that is not a letter or digit into a space.
pub fn normalize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for ch in text.chars().flat_map(char::to_lowercase) {
        match ch {
            'ё' => out.push('е'),
            c if c.is_alphanumeric() => out.push(c),
            _ => out.push(' '),
        }
    }
    out
}

/// What goes into the feature vector. Part of [`crate::TrainOptions`].
#[derive(Debug, Clone, PartialEq)]
pub struct FeatureOptions {
    /// Word n-gram lengths, inclusive; `(1, 2)` means unigrams and bigrams.
    pub word_ngrams: (usize, usize),
    /// Character n-gram lengths, inclusive; `(0, 0)` switches them off.
    pub char_ngrams: (usize, usize),
    /// Take character n-grams over the whole message (scikit-learn's `char`) instead of inside
    /// each padded word (`char_wb`). Spanning the space between words, they also see short
    /// phrases and word pairs ("my card", "top up") in a form that survives inflection.
    pub char_across_words: bool,
    /// Add Snowball stems (Russian for Cyrillic words, English otherwise) to the word block.
    pub stems: bool,
    /// With `stems`, also add bigrams of stems.
    pub stem_bigrams: bool,
    /// Add terms for what normalisation erases: a question mark or an exclamation mark in the
    /// message, and the shape of tokens with digits (`7`, `19`, `10am` become `#`, `##`,
    /// `##am`). "Is my alarm set?" asks, "set my alarm" orders; times and amounts differ in
    /// value but not in intent.
    pub shapes: bool,
    /// Drop terms seen in fewer training messages than this; they cannot generalise and only
    /// grow the model.
    pub min_df: u32,
    /// Weight of the character block relative to the word block (each block is unit-norm
    /// before weighting; the whole vector is unit-norm after).
    pub char_weight: f32,
}

impl Default for FeatureOptions {
    fn default() -> Self {
        Self {
            word_ngrams: (1, 2),
            char_ngrams: (2, 5),
            char_across_words: false,
            stems: true,
            stem_bigrams: false,
            shapes: true,
            min_df: 2,
            char_weight: 1.0,
        }
    }
}

/// The two blocks a message is split into; they are normalised separately.
const WORD_BLOCK: usize = 0;
const CHAR_BLOCK: usize = 1;
const BLOCKS: usize = 2;

/// Hashes of the terms of one message, per block, with repetitions.
#[derive(Debug, Default)]
struct Terms {
    blocks: [Vec<u64>; BLOCKS],
}

/// A sparse row: sorted, unique column ids with their values.
pub type SparseVec = Vec<(u32, f32)>;

/// The fitted vocabulary and idf weights.
#[derive(Debug, Clone)]
pub struct Vectorizer {
    opts: FeatureOptions,
    vocab: HashMap<u64, u32, BuildHasherDefault<PassThrough>>,
    idf: Vec<f32>,
    /// idf of a term never seen in training. Unknown terms get no column, but they still count
    /// in the norm: a message made mostly of unseen words then has a short known part, hence
    /// small scores and low confidence, which is what out-of-scope detection needs.
    unknown_idf: f32,
}

impl Vectorizer {
    /// Fits the vocabulary (terms with document frequency ≥ `min_df`) and idf on `texts`.
    pub fn fit<S: AsRef<str>>(texts: &[S], opts: &FeatureOptions) -> Vectorizer {
        let mut df: HashMap<u64, u32, BuildHasherDefault<PassThrough>> = HashMap::default();
        let mut terms = Terms::default();
        let mut unique = Vec::new();
        for text in texts {
            extract(text.as_ref(), opts, &mut terms);
            unique.clear();
            for block in &terms.blocks {
                unique.extend_from_slice(block);
            }
            unique.sort_unstable();
            unique.dedup();
            for &h in &unique {
                *df.entry(h).or_insert(0) += 1;
            }
        }
        // Sorting makes column ids independent of hash-map iteration order, so training is
        // reproducible for a given seed.
        let mut kept: Vec<(u64, u32)> = df.into_iter().filter(|&(_, d)| d >= opts.min_df).collect();
        kept.sort_unstable();
        let n = texts.len() as f32;
        let idf_of = |d: u32| ((1.0 + n) / (1.0 + d as f32)).ln() + 1.0;
        let idf = kept.iter().map(|&(_, d)| idf_of(d)).collect();
        let vocab = kept
            .iter()
            .enumerate()
            .map(|(i, &(h, _))| (h, i as u32))
            .collect();
        Vectorizer {
            opts: opts.clone(),
            vocab,
            idf,
            unknown_idf: idf_of(0),
        }
    }

    pub fn n_features(&self) -> usize {
        self.idf.len()
    }

    /// The unit-norm TF-IDF vector of `text`, restricted to known columns.
    pub fn transform(&self, text: &str) -> SparseVec {
        let mut terms = Terms::default();
        extract(text, &self.opts, &mut terms);
        let mut out: SparseVec = Vec::new();
        let mut total_weight2 = 0.0f32;
        for (b, block) in terms.blocks.iter_mut().enumerate() {
            if block.is_empty() {
                continue;
            }
            let block_weight = if b == CHAR_BLOCK {
                self.opts.char_weight
            } else {
                1.0
            };
            total_weight2 += block_weight * block_weight;
            block.sort_unstable();
            let start = out.len();
            let mut norm2 = 0.0f32;
            let mut i = 0;
            while i < block.len() {
                let h = block[i];
                let mut j = i;
                while j < block.len() && block[j] == h {
                    j += 1;
                }
                let tf = 1.0 + ((j - i) as f32).ln();
                match self.vocab.get(&h) {
                    Some(&col) => {
                        let w = tf * self.idf[col as usize];
                        norm2 += w * w;
                        out.push((col, w));
                    }
                    None => {
                        let w = tf * self.unknown_idf;
                        norm2 += w * w;
                    }
                }
                i = j;
            }
            let inv = block_weight / norm2.sqrt();
            for entry in &mut out[start..] {
                entry.1 *= inv;
            }
        }
        if total_weight2 > 0.0 {
            let inv = 1.0 / total_weight2.sqrt();
            for entry in &mut out {
                entry.1 *= inv;
            }
        }
        out.sort_unstable_by_key(|&(col, _)| col);
        out
    }
}

impl Vectorizer {
    /// The share of the words of `text` that are not in the vocabulary (0 for an empty text).
    /// Out-of-scope requests tend to be made of words the training data never used.
    pub fn unseen_share(&self, text: &str) -> f32 {
        let normalized = normalize(text);
        let (mut total, mut unseen) = (0usize, 0usize);
        for token in normalized.split_whitespace() {
            total += 1;
            unseen += usize::from(!self.vocab.contains_key(&hash_bytes(b'w', token.as_bytes())));
        }
        if total == 0 {
            0.0
        } else {
            unseen as f32 / total as f32
        }
    }
}

/// Collects the term hashes of `text` into `terms` (cleared first).
fn extract(text: &str, opts: &FeatureOptions, terms: &mut Terms) {
    for block in &mut terms.blocks {
        block.clear();
    }
    let normalized = normalize(text);
    let tokens: Vec<&str> = normalized.split_whitespace().collect();
    let words = &mut terms.blocks[WORD_BLOCK];
    let (wmin, wmax) = opts.word_ngrams;
    if wmax >= 1 {
        let token_hashes: Vec<u64> = tokens
            .iter()
            .map(|t| hash_bytes(b'w', t.as_bytes()))
            .collect();
        for start in 0..token_hashes.len() {
            let mut h = FNV_OFFSET ^ u64::from(b'n');
            for (len, &th) in (1..=wmax).zip(&token_hashes[start..]) {
                h = mix(h, th);
                if len >= wmin.max(1) {
                    // Unigrams keep the plain token hash so they are the same term as before.
                    words.push(if len == 1 { th } else { h });
                }
            }
        }
    }
    if opts.stems {
        let russian = Stemmer::create(Algorithm::Russian);
        let english = Stemmer::create(Algorithm::English);
        let stems: Vec<u64> = tokens
            .iter()
            .map(|token| {
                let cyrillic = token.chars().any(|c| ('а'..='я').contains(&c));
                let stem = if cyrillic {
                    russian.stem(token)
                } else {
                    english.stem(token)
                };
                hash_bytes(b's', stem.as_bytes())
            })
            .collect();
        words.extend_from_slice(&stems);
        // Stem bigrams carry word order across inflections ("card arrive" / "card arrived").
        if opts.stem_bigrams {
            for pair in stems.windows(2) {
                words.push(mix(mix(FNV_OFFSET ^ u64::from(b't'), pair[0]), pair[1]));
            }
        }
    }
    if opts.shapes {
        for mark in ['?', '!'] {
            if text.contains(mark) {
                words.push(hash_bytes(b'p', &[mark as u8]));
            }
        }
        if text.contains(['"', '«', '»', '“', '”']) {
            words.push(hash_bytes(b'p', b"\""));
        }
        for token in tokens
            .iter()
            .filter(|t| t.chars().any(|c| c.is_ascii_digit()))
        {
            let shape: String = token
                .chars()
                .map(|c| if c.is_ascii_digit() { '#' } else { c })
                .collect();
            words.push(hash_bytes(b'd', shape.as_bytes()));
        }
    }
    let (cmin, cmax) = opts.char_ngrams;
    if cmax >= 1 {
        let chars = &mut terms.blocks[CHAR_BLOCK];
        let mut padded: Vec<u32> = Vec::new();
        // Either each word padded with spaces, or the whole message as one padded run.
        let runs: Vec<String> = if opts.char_across_words {
            vec![tokens.join(" ")]
        } else {
            tokens.iter().map(|t| (*t).to_owned()).collect()
        };
        for token in runs.iter().filter(|r| !r.is_empty()) {
            padded.clear();
            padded.push(u32::from(' '));
            padded.extend(token.chars().map(u32::from));
            padded.push(u32::from(' '));
            for start in 0..padded.len() {
                let mut h = FNV_OFFSET ^ u64::from(b'c');
                for (len, &c) in (1..=cmax).zip(&padded[start..]) {
                    h = mix(h, u64::from(c));
                    // A lone padding space says nothing.
                    if len >= cmin.max(1) && !(len == 1 && c == u32::from(' ')) {
                        chars.push(h);
                    }
                }
            }
        }
    }
}

const FNV_OFFSET: u64 = 0xcbf2_9ce4_8422_2325;
const FNV_PRIME: u64 = 0x0000_0100_0000_01b3;

/// One step of a 64-bit FNV-style hash over whole words rather than bytes, followed by a final
/// avalanche so that consecutive values spread well in the hash map.
fn mix(h: u64, v: u64) -> u64 {
    let mut x = (h ^ v).wrapping_mul(FNV_PRIME);
    x ^= x >> 29;
    x.wrapping_mul(0xbf58_476d_1ce4_e5b9)
}

fn hash_bytes(kind: u8, bytes: &[u8]) -> u64 {
    let mut h = FNV_OFFSET ^ u64::from(kind);
    for &b in bytes {
        h = (h ^ u64::from(b)).wrapping_mul(FNV_PRIME);
    }
    mix(h, bytes.len() as u64)
}

/// The keys are already well-mixed hashes, so hashing them again would only cost time.
#[derive(Debug, Default, Clone, Copy)]
pub struct PassThrough(u64);

impl Hasher for PassThrough {
    fn finish(&self) -> u64 {
        self.0
    }

    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 ^ u64::from(b)).wrapping_mul(FNV_PRIME);
        }
    }

    fn write_u64(&mut self, i: u64) {
        self.0 = i;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_normalize(input: &str, expected: &str) {
        assert_eq!(normalize(input), expected, "normalize({input:?})");
    }

    #[test]
    fn normalization() {
        check_normalize("Где мой ЗАКАЗ?!", "где мой заказ  ");
        check_normalize("Ёлка, ещё", "елка  еще");
        check_normalize("card-top_up 2x", "card top up 2x");
        check_normalize("", "");
    }

    fn terms(text: &str, opts: &FeatureOptions) -> Vec<u64> {
        let mut t = Terms::default();
        extract(text, opts, &mut t);
        let mut all: Vec<u64> = t.blocks.concat();
        all.sort_unstable();
        all.dedup();
        all
    }

    /// Share of the terms of `a` that `b` also has.
    fn overlap(a: &str, b: &str, opts: &FeatureOptions) -> f64 {
        let (ta, tb) = (terms(a, opts), terms(b, opts));
        let shared = ta.iter().filter(|h| tb.binary_search(h).is_ok()).count();
        shared as f64 / ta.len() as f64
    }

    fn check_overlap(a: &str, b: &str, at_least: f64, at_most: f64) {
        let got = overlap(a, b, &FeatureOptions::default());
        assert!(
            (at_least..=at_most).contains(&got),
            "overlap({a:?}, {b:?}) = {got}"
        );
    }

    #[test]
    fn morphology_and_spelling_share_features() {
        check_overlap("заказ", "заказа", 0.6, 0.99);
        check_overlap("отменить заказ", "отмените заказы", 0.5, 0.99);
        check_overlap("ещё", "еще", 1.0, 1.0);
        check_overlap("Ещё,", "еще", 1.0, 1.0);
        // Question and exclamation marks are terms of their own; so are digit shapes.
        check_overlap("где заказ?", "где заказ", 0.8, 0.99);
        check_overlap("в 7 утра", "в 8 утра", 0.6, 0.99);
        check_overlap("refund", "refunds", 0.6, 0.99);
        check_overlap("заказ", "доставка", 0.0, 0.05);
    }

    #[test]
    fn stems_join_inflected_forms() {
        let only_stems = FeatureOptions {
            word_ngrams: (0, 0),
            char_ngrams: (0, 0),
            char_across_words: false,
            stems: true,
            stem_bigrams: false,
            shapes: false,
            min_df: 1,
            char_weight: 1.0,
        };
        assert_eq!(terms("заказа", &only_stems), terms("заказ", &only_stems));
        assert_eq!(terms("refunds", &only_stems), terms("refund", &only_stems));
    }

    #[test]
    fn transform_is_unit_norm_over_known_and_unknown_terms() {
        let texts = [
            "где мой заказ",
            "где моя посылка",
            "cancel my order",
            "cancel my order",
        ];
        let v = Vectorizer::fit(
            &texts,
            &FeatureOptions {
                min_df: 1,
                ..FeatureOptions::default()
            },
        );
        let norm = |x: &SparseVec| x.iter().map(|&(_, w)| w * w).sum::<f32>().sqrt();
        let known = v.transform("Где мой заказ.");
        assert!((norm(&known) - 1.0).abs() < 1e-5);
        assert!(
            known.windows(2).all(|w| w[0].0 < w[1].0),
            "sorted unique columns"
        );
        let mostly_unknown = v.transform("где синхрофазотрон квазистационарный");
        assert!(
            norm(&mostly_unknown) < 0.6,
            "unseen words shrink the known part"
        );
        assert!(v.transform("").is_empty());
    }
}
