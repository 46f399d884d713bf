//! Intent detection: which of the known intents a customer's message expresses, how sure we
//! are, and whether it expresses none of them.
//!
//! The model is lexical and small on purpose: TF-IDF word and character n-grams
//! ([`features`]) feed a low-rank logistic regression and a linear SVM ([`linear`]), whose
//! scores are blended and temperature-scaled on out-of-fold predictions of the training data
//! ([`calibration`]), then folded into one weight matrix. Because the confidence is calibrated,
//! the abstention threshold can be chosen for a wanted share of wrong answers instead of by
//! hand, and the same threshold catches out-of-scope messages (those match no intent well).
//! Training examples labelled [`OOS_LABEL`] become one more class, which sharpens that; the
//! calibration then also re-fits that class's prior and weighs the share of unseen words as
//! evidence for it, both out-of-fold, and the threshold is raised if need be until most of
//! those examples are refused out-of-fold ([`TrainOptions::oos_catch_rate`]).
//!
//! Architecture invariant: nothing here looks at evaluation data. Every number the model
//! chooses for itself (blend weights, temperature, thresholds) comes from cross-validation
//! folds of the examples passed to [`IntentModel::train`].
//!
//! # The low-rank learner, and why
//!
//! The plain logistic regression gave each intent its own weight vector. On Russian HWU64
//! (67 intents, 5,000 machine-translated messages, from 313 examples per intent down to 4)
//! that plateaued at 77 % accuracy in 5-fold cross-validation whatever the features did:
//! stem bigrams, unordered stem pairs, other character n-gram ranges, `min_df`, block weights,
//! word-only and character-only learners, NB-SVM, class balance and C all stayed within ±0.3
//! points. The errors were mostly rare intents lost to big neighbours. [`Learner::LowRank`]
//! factors the weight matrix into two L2-penalised factors, a trace-norm penalty that makes
//! the intents share directions in feature space, so a rare intent borrows what related ones
//! taught the model (fastText's bottleneck, in effect). Alone it is the strongest learner; in
//! the blend it takes the plain logistic regression's place, which then got zero or
//! near-zero weight on all three benchmarks, so [`TrainOptions::default`] trains the low-rank
//! model and the SVM: no more work than before. Its own settings (rank, C, step, epochs) were
//! settled by 5-fold cross-validation on BANKING77 *train*, where all nearby values did
//! equally well; they were not tuned on HWU64 beyond a first look that rank, C and epochs
//! make no difference there either.
//!
//! Measured with `examples/eval_intents.rs` (seed 42), before → after: HWU64 5-fold accuracy
//! 77.0 → 78.2 % (macro F1 0.70 → 0.72); BANKING77 test accuracy 92.0 → 93.2 %;
//! CLINC150 val in-scope accuracy 93.1 → 93.7 % with out-of-scope recall 61 → 65 %. Training
//! time and latency did not change noticeably.
//!
//! Two threshold rules came with it:
//!
//! * [`TrainOptions::oos_catch_rate`]. The more accurate model met the 5 % wrong-answer target
//!   out-of-fold with no threshold at all on CLINC150, so it stopped abstaining and
//!   out-of-scope recall on val fell to 52–56 % (four seeds), although its in-scope accuracy
//!   at any *given* out-of-scope recall was higher than before (92.97 → 93.6 % at 70 %).
//!   Being refused is a requirement of its own for out-of-scope messages, so it gets its own
//!   target, checked on the out-of-fold predictions of the training examples labelled
//!   [`OOS_LABEL`]. The old model refused about 69 % of them on CLINC150 train; the default
//!   asks for 75 %. With few out-of-scope examples the target is coarse (the demo bot's 15
//!   already meet it). In fairness: 0.75 was settled after seeing CLINC150 *val* (0.8 pushed
//!   in-scope accuracy there below 93 %), so the CLINC150 figures are not a blind test of this
//!   one setting; the threshold it produces is still computed from training folds only.
//! * [`IntentModel::threshold_for`] keeps one standard error in hand
//!   ([`confident_threshold_for_wrong_rate`]): the smallest threshold that meets a target on
//!   noisy out-of-fold estimates is an optimistic pick. On BANKING77 the plain rule's 2 %
//!   threshold landed at 2.0 % wrong on held-out folds of train but at 2.1 % on test; with the
//!   margin, 1.9 % at 83 % coverage. The model's own abstention keeps the plain rule: a bot
//!   with a few hundred examples would refuse almost everything with the margin.
//!
//! Size: the model's training and prediction, which share the blend's layout ([`Inputs`]) and must
//! change together; the learners, features, calibration and embeddings are already their own files.

pub mod calibration;
pub mod dense;
pub mod embedding;
pub mod features;
pub mod linear;
pub mod neighbors;

use std::collections::BTreeMap;

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;
use serde::{Deserialize, Serialize};

pub use calibration::{
    ThresholdChoice, confident_threshold_for_wrong_rate, threshold_for_wrong_rate,
};
pub use features::{FeatureOptions, normalize};

use calibration::OofScores;
use dense::{DenseBlock, EmbeddingIndex};
use embedding::{Embedding, Kind, TextEmbedder};
use features::{SparseVec, Vectorizer};
use linear::{Csr, LinearModel};
use neighbors::NeighborIndex;

/// The label of out-of-scope examples (CLINC150's convention).
pub const OOS_LABEL: &str = "oos";

/// One labelled message.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct IntentExample {
    pub text: String,
    pub intent: String,
}

impl IntentExample {
    pub fn new(text: impl Into<String>, intent: impl Into<String>) -> Self {
        Self {
            text: text.into(),
            intent: intent.into(),
        }
    }
}

/// How to train. The defaults were chosen by cross-validation on training data (BANKING77
/// train) and are meant to be left alone.
#[derive(Debug, Clone, PartialEq)]
pub struct TrainOptions {
    pub features: FeatureOptions,
    /// Inverse L2 strength of the logistic regression, scikit-learn's `C` (loss summed over
    /// examples), so the same value suits small and large training sets.
    pub lr_c: f64,
    pub lr_epochs: usize,
    /// Rank of the factored logistic regression ([`Learner::LowRank`]): the number of
    /// directions in feature space its classes share. 32, 64 and 128 did equally well in
    /// cross-validation on BANKING77 train; time grows with it.
    pub lowrank_rank: usize,
    /// Its inverse L2 strength per factor, in the units of `lr_c` (0.1, 0.3 and 1 did equally
    /// well).
    pub lowrank_c: f64,
    pub lowrank_epochs: usize,
    /// Its initial SGD step, decaying linearly to zero (0.1 and 0.2 did equally well, 0.5
    /// worse).
    pub lowrank_step: f64,
    /// The learners whose scores are blended; their weights are fitted by the calibration.
    /// When the training data has [`OOS_LABEL`] examples, two more inputs join the blend, both
    /// on the out-of-scope logit only: the share of the message's words unseen in training, and
    /// a constant that re-fits that class's prior out-of-fold.
    pub learners: Vec<Learner>,
    /// The SVM's `C`, as in LIBLINEAR.
    pub svm_c: f64,
    /// Upper bound on SVM passes; it stops earlier once converged. Eight passes matched the
    /// accuracy of thirty in cross-validation at a fraction of the time.
    pub svm_epochs: usize,
    /// Additive smoothing of complement naive Bayes, in units of TF-IDF mass.
    pub nb_alpha: f64,
    /// Class balancing: each example's loss is weighted by `(n / (k·n_class))^class_balance`,
    /// so 0 leaves the loss alone and 1 is scikit-learn's `class_weight="balanced"`. 0.5 was
    /// best in cross-validation on Russian HWU64 (imbalanced) and neutral on BANKING77 train.
    pub class_balance: f64,
    /// Folds of the training data whose out-of-fold predictions fit the calibration and the
    /// abstention threshold. Below 2, calibration is skipped: the first learner's raw scores
    /// are used as logits and the model never abstains on confidence.
    pub calibration_folds: usize,
    /// Wanted share of wrong answers among answered messages; the model abstains (reports
    /// out-of-scope) below the confidence threshold that achieves it out-of-fold.
    pub abstain_wrong_rate: f64,
    /// With an embedding model: the weight of the (centred) sentence embedding appended to the
    /// TF-IDF row, relative to the TF-IDF block ([`dense::DenseBlock`]); 0 leaves it out of the
    /// linear learners.
    pub embedding_weight: f32,
    /// With an embedding model: blend in, per intent, the cosine to its closest example
    /// ([`dense::EmbeddingIndex`]). With out-of-scope examples, the cosine to the closest
    /// in-scope example also enters the out-of-scope logit (kNN density) whatever this says.
    pub embedding_neighbors: bool,
    /// When the training data has [`OOS_LABEL`] examples: the least share of them the model
    /// must refuse out-of-fold (predict out-of-scope or abstain on). The abstention threshold
    /// is raised until it does, if the wrong-rate target alone does not get there. 0 turns
    /// the rule off. See the module docs for the default.
    pub oos_catch_rate: f64,
    pub seed: u64,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self {
            features: FeatureOptions::default(),
            lr_c: 20.0,
            lr_epochs: 10,
            lowrank_rank: 64,
            lowrank_c: 0.3,
            lowrank_epochs: 8,
            lowrank_step: 0.2,
            // The factored logistic regression comes first: its scores are proper logits, the
            // fallback when calibration is off. Next to it, the plain logistic regression got
            // zero blend weight on BANKING77 train and Russian HWU64, so it is opt-in now, like
            // centroid, naive Bayes, NB-SVM and neighbours, which did not raise
            // cross-validated accuracy either.
            learners: vec![Learner::LowRank, Learner::Svm],
            svm_c: 3.0,
            svm_epochs: 8,
            nb_alpha: 0.1,
            class_balance: 0.5,
            calibration_folds: 3,
            abstain_wrong_rate: 0.05,
            oos_catch_rate: 0.75,
            embedding_weight: 1.0,
            embedding_neighbors: true,
            seed: 42,
        }
    }
}

/// A learner of the ensemble; see [`linear`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Learner {
    /// Multinomial logistic regression.
    LogReg,
    /// Multinomial logistic regression with a low-rank, trace-norm-penalised weight matrix:
    /// intents share directions in feature space ([`linear::train_lowrank`]).
    LowRank,
    /// One-vs-rest squared-hinge linear SVM.
    Svm,
    /// Nearest class centroid.
    Centroid,
    /// Complement naive Bayes.
    ComplementNb,
    /// The SVM on features scaled per class by the naive Bayes log-count ratio (NB-SVM).
    NbSvm,
    /// Per class, the cosine similarity to the closest training message ([`neighbors`]).
    Neighbors,
}

/// A fitted learner: linear ones fold into one weight matrix, neighbours stay an index.
#[derive(Debug, Clone)]
enum Scorer {
    Linear(LinearModel),
    Neighbors(NeighborIndex),
}

impl Scorer {
    fn scores(&self, x: &SparseVec) -> Vec<f32> {
        match self {
            Scorer::Linear(m) => m.scores(x),
            Scorer::Neighbors(index) => index.scores(x),
        }
    }
}

#[derive(Debug, thiserror::Error, PartialEq)]
pub enum TrainError {
    #[error("no training examples")]
    NoExamples,
    #[error("need at least two intents, got {0}")]
    TooFewIntents(usize),
    #[error("invalid training option: {0}")]
    InvalidOption(&'static str),
}

/// The answer to one message.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Prediction {
    /// The most probable intent (may be [`OOS_LABEL`] when the model was trained with it).
    pub intent: String,
    /// Calibrated probability that `intent` is right, in `[0, 1]`.
    pub confidence: f32,
    /// Every intent with its probability, best first; the probabilities sum to 1.
    pub ranked: Vec<(String, f32)>,
    /// True when the model should not answer: the best intent is [`OOS_LABEL`], or the
    /// confidence is below the abstention threshold chosen at training time.
    pub out_of_scope: bool,
}

impl Prediction {
    /// The confidence that counts for answering: zero when the best guess is out-of-scope,
    /// since then there is nothing to answer with.
    pub fn answer_confidence(&self) -> f32 {
        if self.intent == OOS_LABEL {
            0.0
        } else {
            self.confidence
        }
    }
}

/// A trained intent classifier. Cheap to share across threads; cloning copies the weights (and
/// shares the embedding model, when it has one).
#[derive(Debug, Clone)]
pub struct IntentModel {
    features: Features,
    linear: LinearModel,
    intents: Vec<String>,
    abstain: ThresholdChoice,
    /// Out-of-fold `(answer confidence, correct)` pairs of the training data, kept so callers
    /// can pick other operating points without touching evaluation data.
    oof: Vec<(f32, bool)>,
    blend: Vec<f64>,
    /// The neighbour index with its weight in the logits, when it has one.
    neighbors: Option<(NeighborIndex, f32)>,
    /// The examples' embeddings with the weight of their per-intent cosines in the logits (0
    /// when only the out-of-scope evidence uses them).
    embedding_neighbors: Option<(EmbeddingIndex, f32)>,
    oos_evidence: Option<OosEvidence>,
    /// The model messages are embedded with, when trained with one.
    encoder: Option<TextEmbedder>,
}

/// What pushes the out-of-scope logit, beyond the learners' own score for that class.
#[derive(Debug, Clone, Copy, PartialEq)]
struct OosEvidence {
    class: usize,
    /// Weight of the share of the message's words unseen in training.
    unseen: f32,
    /// A constant: the class's prior, re-fitted out-of-fold.
    offset: f32,
    /// Weight of the cosine to the closest in-scope example (negative when fitted: the closer
    /// to something known, the less likely out of scope).
    nearest_known: f32,
}

/// Where each input of the blend sits in [`IntentModel::blend_weights`]: the learners in
/// `TrainOptions::learners` order, then the optional ones in this order.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Inputs {
    learners: usize,
    embedding_neighbors: Option<usize>,
    /// Unseen-word share, offset and (with embeddings) nearest-known cosine, all on the
    /// out-of-scope logit.
    unseen: Option<usize>,
    offset: Option<usize>,
    nearest_known: Option<usize>,
}

impl Inputs {
    fn new(opts: &TrainOptions, embedded: bool, oos: bool) -> Inputs {
        let mut next = opts.learners.len();
        let mut take = |present: bool| {
            present.then(|| {
                next += 1;
                next - 1
            })
        };
        let embedding_neighbors = take(embedded && opts.embedding_neighbors);
        let unseen = take(oos);
        let offset = take(oos);
        let nearest_known = take(oos && embedded);
        Inputs {
            learners: opts.learners.len(),
            embedding_neighbors,
            unseen,
            offset,
            nearest_known,
        }
    }

    fn len(&self) -> usize {
        [
            self.embedding_neighbors,
            self.unseen,
            self.offset,
            self.nearest_known,
        ]
        .iter()
        .flatten()
        .count()
            + self.learners
    }

    /// Inputs whose weight may be negative: constants and evidence *against* a class.
    fn signed(&self) -> Vec<bool> {
        (0..self.len())
            .map(|j| Some(j) == self.offset || Some(j) == self.nearest_known)
            .collect()
    }
}

/// The text features and, with an embedding model, the embedding block after them.
#[derive(Debug, Clone)]
struct Features {
    vectorizer: Vectorizer,
    dense: Option<DenseBlock>,
}

impl Features {
    fn n_features(&self) -> usize {
        self.vectorizer.n_features() + self.dense.as_ref().map_or(0, |_| DenseBlock::width())
    }

    fn transform(&self, text: &str, embedding: Option<&Embedding>) -> SparseVec {
        let x = self.vectorizer.transform(text);
        match (&self.dense, embedding) {
            (Some(block), Some(e)) => block.extend(x, e),
            _ => x,
        }
    }
}

impl IntentModel {
    /// Trains a lexical model (no embedding model).
    pub fn train(
        examples: &[IntentExample],
        opts: &TrainOptions,
    ) -> Result<IntentModel, TrainError> {
        Self::train_with(examples, opts, None)
    }

    /// Trains with `encoder`'s sentence embeddings as features when given: the examples are
    /// embedded once (through its disk cache) and every message [`predict`](Self::predict) sees
    /// is embedded with the same model.
    pub fn train_with(
        examples: &[IntentExample],
        opts: &TrainOptions,
        encoder: Option<&TextEmbedder>,
    ) -> Result<IntentModel, TrainError> {
        if examples.is_empty() {
            return Err(TrainError::NoExamples);
        }
        if opts.lr_c <= 0.0 || opts.svm_c <= 0.0 || opts.lowrank_c <= 0.0 {
            return Err(TrainError::InvalidOption(
                "lr_c, svm_c and lowrank_c must be positive",
            ));
        }
        if opts.learners.is_empty() {
            return Err(TrainError::InvalidOption("learners must not be empty"));
        }
        if !(0.0..=1.0).contains(&opts.abstain_wrong_rate) {
            return Err(TrainError::InvalidOption(
                "abstain_wrong_rate must be within [0, 1]",
            ));
        }
        if !(0.0..=1.0).contains(&opts.oos_catch_rate) {
            return Err(TrainError::InvalidOption(
                "oos_catch_rate must be within [0, 1]",
            ));
        }
        // NaN is refused too.
        if opts.embedding_weight.is_nan() || opts.embedding_weight < 0.0 {
            return Err(TrainError::InvalidOption(
                "embedding_weight must not be negative",
            ));
        }
        let mut intents: Vec<String> = examples.iter().map(|e| e.intent.clone()).collect();
        intents.sort();
        intents.dedup();
        if intents.len() < 2 {
            return Err(TrainError::TooFewIntents(intents.len()));
        }
        let ids: BTreeMap<&str, u32> = intents
            .iter()
            .enumerate()
            .map(|(i, s)| (s.as_str(), i as u32))
            .collect();
        let labels: Vec<u32> = examples.iter().map(|e| ids[e.intent.as_str()]).collect();
        let texts: Vec<&str> = examples.iter().map(|e| e.text.as_str()).collect();
        let k = intents.len();
        let oos = ids.get(OOS_LABEL).copied();
        // An example is a message as a customer would write it: embedded as a query, like the
        // messages it will be compared with.
        let embeddings: Option<Vec<Embedding>> = encoder.map(|e| e.known(&texts, Kind::Query));
        let data = Data {
            texts: &texts,
            labels: &labels,
            embeddings: embeddings.as_deref(),
            k,
            oos,
        };
        let inputs = Inputs::new(opts, data.embeddings.is_some(), oos.is_some());

        let folds = opts.calibration_folds.min(examples.len());
        let (blend, oof) = if folds >= 2 {
            let oof = out_of_fold_scores(&data, inputs, folds, opts);
            let blend = calibration::fit_blend(&oof);
            let mut p = Vec::new();
            let pairs = (0..oof.len())
                .map(|i| {
                    oof.probabilities(i, &blend, &mut p);
                    let (top, conf) = argmax(&p);
                    let answer = if Some(top as u32) == oos {
                        0.0
                    } else {
                        conf as f32
                    };
                    (answer, top as u32 == oof.labels[i])
                })
                .collect();
            (blend, pairs)
        } else {
            let mut first_only = vec![0.0; inputs.len()];
            first_only[0] = 1.0;
            (first_only, Vec::new())
        };
        let abstain = if oof.is_empty() {
            ThresholdChoice {
                threshold: 0.0,
                coverage: 1.0,
                wrong_rate: 0.0,
            }
        } else {
            let by_wrong_rate = threshold_for_wrong_rate(&oof, opts.abstain_wrong_rate);
            let oos_answers: Vec<f32> = oof
                .iter()
                .zip(&labels)
                .filter(|&(_, &l)| Some(l) == oos)
                .map(|(&(answer, _), _)| answer)
                .collect();
            let catch = calibration::threshold_for_catch_rate(&oos_answers, opts.oos_catch_rate);
            if catch > by_wrong_rate.threshold {
                ThresholdChoice::measure(catch, &oof)
            } else {
                by_wrong_rate
            }
        };

        let all: Vec<usize> = (0..texts.len()).collect();
        let learners = fit_learners(&data, &all, inputs, opts);
        let mut linear_models = Vec::new();
        let mut linear_weights = Vec::new();
        let mut neighbors = None;
        for (scorer, &weight) in learners.models.into_iter().zip(&blend) {
            match scorer {
                Scorer::Linear(m) => {
                    linear_models.push(m);
                    linear_weights.push(weight);
                }
                Scorer::Neighbors(index) if weight > 0.0 => {
                    neighbors = Some((index, weight as f32))
                }
                Scorer::Neighbors(_) => {}
            }
        }
        let linear = if linear_models.is_empty() {
            LinearModel::zeros(learners.features.n_features(), k)
        } else {
            LinearModel::weighted_sum(&linear_models, &linear_weights)
        };
        let weight = |at: Option<usize>| at.map_or(0.0, |j| blend[j] as f32);
        let oos_evidence = oos.map(|o| OosEvidence {
            class: o as usize,
            unseen: weight(inputs.unseen),
            offset: weight(inputs.offset),
            nearest_known: weight(inputs.nearest_known),
        });
        // The index is kept when something uses it: its own blend weight, or the out-of-scope
        // logit's nearest-known cosine.
        let embedding_neighbors = learners.index.and_then(|index| {
            let w = weight(inputs.embedding_neighbors);
            let used = w > 0.0 || oos_evidence.is_some_and(|e| e.nearest_known != 0.0);
            used.then_some((index, w))
        });
        Ok(IntentModel {
            features: learners.features,
            linear,
            intents,
            abstain,
            oof,
            blend,
            neighbors,
            embedding_neighbors,
            oos_evidence,
            encoder: encoder.cloned(),
        })
    }

    /// Ranked intents with calibrated probabilities, best first. With an embedding model the
    /// message is embedded here (or taken from the encoder's memo of recent messages).
    pub fn predict(&self, text: &str) -> Prediction {
        let embedding = self.encoder.as_ref().map(|e| e.message(text));
        self.predict_with(text, embedding.as_ref())
    }

    /// [`predict`](Self::predict) with the message's embedding already at hand (by the same
    /// model, as a query). A model trained without embeddings ignores it.
    pub fn predict_embedded(&self, text: &str, embedding: &Embedding) -> Prediction {
        let embedding = self.encoder.is_some().then_some(embedding);
        self.predict_with(text, embedding)
    }

    /// Every input of the logits, with the embedding when the model has one. (Not public: a
    /// model trained with embeddings must get one, or the evidence that a message is near
    /// something known would be missing and out-of-scope would win.)
    fn predict_with(&self, text: &str, embedding: Option<&Embedding>) -> Prediction {
        let x = self.features.transform(text, embedding);
        let mut p = self.linear.scores(&x);
        if let Some((index, weight)) = &self.neighbors {
            for (p, s) in p.iter_mut().zip(index.scores(&x)) {
                *p += weight * s;
            }
        }
        let evidence = match (&self.embedding_neighbors, embedding) {
            (Some((index, _)), Some(e)) => Some(index.evidence(e)),
            _ => None,
        };
        if let (Some((_, weight)), Some(ev)) = (&self.embedding_neighbors, &evidence)
            && *weight != 0.0
        {
            for (p, &s) in p.iter_mut().zip(&ev.per_class) {
                *p += weight * s;
            }
        }
        if let Some(o) = self.oos_evidence {
            p[o.class] += o.unseen * self.features.vectorizer.unseen_share(text) + o.offset;
            if let Some(ev) = &evidence {
                p[o.class] += o.nearest_known * ev.nearest_known;
            }
        }
        linear::softmax_in_place(&mut p);
        let mut order: Vec<usize> = (0..p.len()).collect();
        order.sort_unstable_by(|&a, &b| p[b].total_cmp(&p[a]).then(a.cmp(&b)));
        let ranked: Vec<(String, f32)> = order
            .iter()
            .map(|&i| (self.intents[i].clone(), p[i]))
            .collect();
        let (intent, confidence) = ranked[0].clone();
        let out_of_scope = intent == OOS_LABEL || confidence < self.abstain.threshold;
        Prediction {
            intent,
            confidence,
            ranked,
            out_of_scope,
        }
    }

    /// The embedding model messages are embedded with, when the model was trained with one.
    pub fn encoder(&self) -> Option<&TextEmbedder> {
        self.encoder.as_ref()
    }

    /// The intents the model knows, sorted.
    pub fn intents(&self) -> &[String] {
        &self.intents
    }

    /// The abstention threshold in use, with the coverage and wrong rate it achieved
    /// out-of-fold on the training data.
    pub fn abstain_threshold(&self) -> ThresholdChoice {
        self.abstain
    }

    /// The threshold that would give at most `target` wrong answers, chosen on the training
    /// data's out-of-fold predictions (so it is safe to measure on any other data), with one
    /// standard error to spare ([`confident_threshold_for_wrong_rate`]).
    pub fn threshold_for(&self, target: f64) -> ThresholdChoice {
        confident_threshold_for_wrong_rate(&self.oof, target)
    }

    /// Out-of-fold `(answer confidence, correct)` pairs of the training data.
    pub fn out_of_fold(&self) -> &[(f32, bool)] {
        &self.oof
    }

    /// The fitted weight of each input in the logits: the learners in `TrainOptions::learners`
    /// order, then, when present, the per-intent embedding-neighbour cosines, and (when trained
    /// with out-of-scope examples) the weights of the unseen-word share, of the out-of-scope
    /// offset and of the cosine to the closest in-scope example.
    pub fn blend_weights(&self) -> &[f64] {
        &self.blend
    }

    pub fn n_features(&self) -> usize {
        self.features.n_features()
    }

    /// Memory taken by the weights.
    pub fn size_bytes(&self) -> usize {
        self.linear.size_bytes()
            + self.neighbors.as_ref().map_or(0, |(n, _)| n.size_bytes())
            + self
                .embedding_neighbors
                .as_ref()
                .map_or(0, |(n, _)| n.size_bytes())
    }
}

fn argmax(p: &[f64]) -> (usize, f64) {
    p.iter()
        .copied()
        .enumerate()
        .fold((0, f64::NEG_INFINITY), |best, (i, v)| {
            if v > best.1 { (i, v) } else { best }
        })
}

/// The training set as the learners see it.
struct Data<'a> {
    texts: &'a [&'a str],
    labels: &'a [u32],
    /// Each example's embedding, when there is an embedding model.
    embeddings: Option<&'a [Embedding]>,
    k: usize,
    oos: Option<u32>,
}

struct Learners {
    features: Features,
    /// In `TrainOptions::learners` order.
    models: Vec<Scorer>,
    /// The examples' embeddings, when there are any.
    index: Option<EmbeddingIndex>,
}

/// Fits the features and the learners on the examples `rows`.
fn fit_learners(data: &Data<'_>, rows: &[usize], inputs: Inputs, opts: &TrainOptions) -> Learners {
    let k = data.k;
    let train_texts: Vec<&str> = rows.iter().map(|&i| data.texts[i]).collect();
    let y: Vec<u32> = rows.iter().map(|&i| data.labels[i]).collect();
    let vectorizer = Vectorizer::fit(&train_texts, &opts.features);
    let train_embeddings: Option<Vec<&Embedding>> = data
        .embeddings
        .map(|all| rows.iter().map(|&i| &all[i]).collect());
    let dense = match &train_embeddings {
        Some(e) if opts.embedding_weight > 0.0 => Some(DenseBlock::fit(
            e,
            vectorizer.n_features(),
            opts.embedding_weight,
        )),
        _ => None,
    };
    let features = Features { vectorizer, dense };
    let vectors: Vec<SparseVec> = rows
        .iter()
        .map(|&i| features.transform(data.texts[i], data.embeddings.map(|e| &e[i])))
        .collect();
    let x = Csr::from_rows(&vectors);
    let d = features.n_features();
    let weights = class_weights(&y, k, opts.class_balance);
    let models = opts
        .learners
        .iter()
        .map(|learner| match learner {
            Learner::Neighbors => Scorer::Neighbors(NeighborIndex::build(&x, &y, d, k)),
            linear => Scorer::Linear(train_linear(*linear, &x, &y, d, k, &weights, opts)),
        })
        .collect();
    let wants_index = inputs.embedding_neighbors.is_some() || inputs.nearest_known.is_some();
    let index = match train_embeddings {
        Some(e) if wants_index => Some(EmbeddingIndex::build(&e, &y, k, data.oos)),
        _ => None,
    };
    Learners {
        features,
        models,
        index,
    }
}

fn train_linear(
    learner: Learner,
    x: &Csr,
    y: &[u32],
    d: usize,
    k: usize,
    weights: &[f32],
    opts: &TrainOptions,
) -> LinearModel {
    let n = x.n_rows() as f64;
    match learner {
        Learner::LogReg => linear::train_logreg(
            x,
            y,
            d,
            k,
            1.0 / (opts.lr_c * n),
            opts.lr_epochs,
            opts.seed,
            weights,
        ),
        Learner::Svm => linear::train_svm(
            x,
            y,
            d,
            k,
            opts.svm_c,
            opts.svm_epochs,
            opts.seed.wrapping_add(1),
            weights,
            None,
        ),
        Learner::NbSvm => {
            let r = linear::nb_log_count_ratio(x, y, d, k, 1.0);
            linear::train_svm(
                x,
                y,
                d,
                k,
                opts.svm_c,
                opts.svm_epochs,
                opts.seed.wrapping_add(2),
                weights,
                Some(&r),
            )
        }
        Learner::LowRank => linear::train_lowrank(
            x,
            y,
            d,
            k,
            opts.lowrank_rank,
            1.0 / (opts.lowrank_c * n),
            opts.lowrank_epochs,
            opts.lowrank_step,
            opts.seed.wrapping_add(3),
            weights,
        ),
        Learner::Centroid => linear::train_centroid(x, y, d, k),
        Learner::ComplementNb => linear::train_complement_nb(x, y, d, k, opts.nb_alpha),
        Learner::Neighbors => unreachable!("neighbours are not linear"),
    }
}

/// Per-example loss weights for class balancing; empty when `power` is 0 (all ones).
fn class_weights(y: &[u32], k: usize, power: f64) -> Vec<f32> {
    if power == 0.0 || y.is_empty() {
        return Vec::new();
    }
    let mut count = vec![0usize; k];
    for &c in y {
        count[c as usize] += 1;
    }
    let present = count.iter().filter(|&&c| c > 0).count() as f64;
    let n = y.len() as f64;
    y.iter()
        .map(|&c| (n / (present * count[c as usize] as f64)).powf(power) as f32)
        .collect()
}

/// Scores every example with learners that did not see it. Each fold fits its own
/// vocabulary, so words unseen in training look unseen here too, as they will in production.
fn out_of_fold_scores(
    data: &Data<'_>,
    inputs: Inputs,
    folds: usize,
    opts: &TrainOptions,
) -> OofScores {
    let (k, n) = (data.k, data.texts.len());
    let fold_of = stratified_folds(data.labels, folds, opts.seed);
    let mut oof = OofScores {
        n_classes: k,
        scores: vec![vec![0.0; n * k]; inputs.len()],
        labels: data.labels.to_vec(),
        signed: inputs.signed(),
    };
    for fold in 0..folds {
        let train: Vec<usize> = (0..n).filter(|&i| fold_of[i] != fold).collect();
        let learners = fit_learners(data, &train, inputs, opts);
        for i in (0..n).filter(|&i| fold_of[i] == fold) {
            let embedding = data.embeddings.map(|e| &e[i]);
            let x = learners.features.transform(data.texts[i], embedding);
            let row = i * k..(i + 1) * k;
            for (scores, model) in oof.scores.iter_mut().zip(&learners.models) {
                scores[row.clone()].copy_from_slice(&model.scores(&x));
            }
            let evidence = learners
                .index
                .as_ref()
                .zip(embedding)
                .map(|(index, e)| index.evidence(e));
            if let (Some(j), Some(ev)) = (inputs.embedding_neighbors, &evidence) {
                oof.scores[j][row.clone()].copy_from_slice(&ev.per_class);
            }
            if let Some(o) = data.oos {
                let at = i * k + o as usize;
                if let Some(j) = inputs.unseen {
                    oof.scores[j][at] = learners.features.vectorizer.unseen_share(data.texts[i]);
                }
                if let Some(j) = inputs.offset {
                    oof.scores[j][at] = 1.0;
                }
                if let (Some(j), Some(ev)) = (inputs.nearest_known, &evidence) {
                    oof.scores[j][at] = ev.nearest_known;
                }
            }
        }
    }
    oof
}

/// Assigns each example a fold in `0..k` so that every class is spread evenly over the folds.
/// Deterministic for a given seed.
pub fn stratified_folds(labels: &[u32], k: usize, seed: u64) -> Vec<usize> {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut by_class: BTreeMap<u32, Vec<usize>> = BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        by_class.entry(l).or_default().push(i);
    }
    let mut fold_of = vec![0; labels.len()];
    // Continuing the round-robin across classes keeps fold sizes balanced even when many
    // classes have fewer examples than folds.
    let mut next = 0;
    for members in by_class.values_mut() {
        members.shuffle(&mut rng);
        for &i in members.iter() {
            fold_of[i] = next % k.max(1);
            next += 1;
        }
    }
    fold_of
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A small bilingual support data set: intents with a few paraphrases each, where the
    /// words inside a template vary so that the model has to generalise.
    pub(crate) fn synthetic(seed: u64, per_intent: usize) -> Vec<IntentExample> {
        use rand::Rng;
        let intents: [(&str, &[&str], &[&str]); 6] = [
            (
                "order_status",
                &[
                    "где мой заказ",
                    "когда привезут заказ",
                    "where is my order",
                    "track my order",
                ],
                &["номер", "уже неделя", "please", "today", "курьер"],
            ),
            (
                "cancel_order",
                &[
                    "отменить заказ",
                    "хочу отменить заказа",
                    "cancel my order",
                    "please cancel the order",
                ],
                &["срочно", "now", "передумал", "changed my mind", "номер"],
            ),
            (
                "refund",
                &[
                    "верните деньги",
                    "возврат денег за заказ",
                    "i want a refund",
                    "money back please",
                ],
                &["карта", "card", "деньги", "still", "заказ"],
            ),
            (
                "change_address",
                &[
                    "изменить адрес доставки",
                    "поменять адрес",
                    "change delivery address",
                    "wrong address on my order",
                ],
                &["новый", "new", "квартира", "street", "улица"],
            ),
            (
                "payment_failed",
                &[
                    "не проходит оплата",
                    "ошибка при оплате картой",
                    "payment failed",
                    "my card was declined",
                ],
                &["карта", "card", "снова", "again", "банк"],
            ),
            (
                "operator",
                &[
                    "позовите оператора",
                    "хочу поговорить с человеком",
                    "talk to a human",
                    "connect me to an agent",
                ],
                &["срочно", "please", "живой", "real", "now"],
            ),
        ];
        let mut rng = StdRng::seed_from_u64(seed);
        let mut out = Vec::new();
        for (intent, templates, extras) in intents {
            for _ in 0..per_intent {
                let t = templates[rng.gen_range(0..templates.len())];
                let e = extras[rng.gen_range(0..extras.len())];
                let text = if rng.gen_bool(0.5) {
                    format!("{t} {e}")
                } else {
                    format!("{e} {t}!")
                };
                out.push(IntentExample::new(text, intent));
            }
        }
        out
    }

    fn small_opts() -> TrainOptions {
        TrainOptions {
            features: FeatureOptions {
                min_df: 1,
                ..FeatureOptions::default()
            },
            ..TrainOptions::default()
        }
    }

    fn check_predicts(model: &IntentModel, text: &str, expected: &str) {
        let p = model.predict(text);
        assert_eq!(
            p.intent,
            expected,
            "predict({text:?}) = {:?}",
            &p.ranked[..3]
        );
    }

    #[test]
    fn learns_russian_and_english_intents() {
        let model = IntentModel::train(&synthetic(1, 30), &small_opts()).unwrap();
        check_predicts(&model, "Где мой заказ?", "order_status");
        check_predicts(&model, "отмените заказ пожалуйста", "cancel_order");
        check_predicts(&model, "верните мне деньги", "refund");
        check_predicts(&model, "Cancel the order now", "cancel_order");
        check_predicts(&model, "payment was declined", "payment_failed");
        check_predicts(&model, "соедините с оператором", "operator");
        check_predicts(&model, "поменяйте адрес доставки", "change_address");
        assert_eq!(model.intents().len(), 6);
    }

    #[test]
    fn probabilities_are_ranked_and_sum_to_one() {
        let model = IntentModel::train(&synthetic(2, 20), &small_opts()).unwrap();
        for text in ["где мой заказ", "refund please", "", "???", "абракадабра"]
        {
            let p = model.predict(text);
            let sum: f32 = p.ranked.iter().map(|r| r.1).sum();
            assert!((sum - 1.0).abs() < 1e-4, "{text:?}: sum {sum}");
            assert!(
                p.ranked.windows(2).all(|w| w[0].1 >= w[1].1),
                "{text:?}: not sorted"
            );
            assert_eq!(
                (p.intent.as_str(), p.confidence),
                (p.ranked[0].0.as_str(), p.ranked[0].1)
            );
            assert!((0.0..=1.0).contains(&p.confidence));
        }
    }

    #[test]
    fn out_of_scope_examples_become_a_class_and_gibberish_abstains() {
        let mut train = synthetic(3, 30);
        for text in [
            "какая погода завтра",
            "расскажи анекдот",
            "what is the capital of france",
            "play some music",
            "сколько будет два плюс два",
            "tell me a joke",
        ] {
            train.push(IntentExample::new(text, OOS_LABEL));
        }
        let model = IntentModel::train(&train, &small_opts()).unwrap();
        assert!(model.intents().iter().any(|i| i == OOS_LABEL));
        assert!(model.predict("какая погода будет завтра").out_of_scope);
        let known = model.predict("где мой заказ");
        assert!(!known.out_of_scope);
        // Words never seen in training are evidence for out-of-scope.
        let gibberish = model.predict("квазистационарный синхрофазотрон");
        assert!(gibberish.out_of_scope, "{gibberish:?}");
    }

    #[test]
    fn oos_catch_rate_raises_the_threshold_until_enough_are_refused() {
        let mut train = synthetic(4, 20);
        for text in [
            "какая погода завтра",
            "расскажи анекдот про заказ",
            "what is the capital of france",
            "play some music please",
            "сколько будет два плюс два",
            "tell me a joke about my order",
            "где купить билеты в кино",
            "new card design please",
        ] {
            train.push(IntentExample::new(text, OOS_LABEL));
        }
        let refused = |model: &IntentModel| {
            let t = model.abstain_threshold().threshold;
            let oos = &model.out_of_fold()[train.len() - 8..];
            oos.iter().filter(|&&(c, _)| c == 0.0 || c < t).count()
        };
        for target in [0.5, 1.0] {
            let opts = TrainOptions {
                oos_catch_rate: target,
                ..small_opts()
            };
            let model = IntentModel::train(&train, &opts).unwrap();
            assert!(refused(&model) as f64 >= target * 8.0, "target {target}");
        }
    }

    /// `synthetic` with every fifth label replaced by the next intent's, so that no model can be
    /// sure and calibration has something to get right.
    fn noisy(seed: u64, per_intent: usize) -> Vec<IntentExample> {
        let mut data = synthetic(seed, per_intent);
        let names: Vec<String> = data.iter().map(|e| e.intent.clone()).collect();
        let n = data.len();
        for (i, e) in data.iter_mut().enumerate().filter(|(i, _)| i % 5 == 0) {
            e.intent = names[(i + per_intent) % n].clone();
        }
        data
    }

    #[test]
    fn calibration_reduces_ece_on_held_out_data() {
        use calibration::expected_calibration_error as ece;
        // Strong regularisation makes raw logistic probabilities far too timid.
        let opts = TrainOptions {
            lr_c: 0.3,
            learners: vec![Learner::LogReg],
            ..small_opts()
        };
        let (train, test) = (noisy(11, 40), noisy(12, 40));
        let model = IntentModel::train(&train, &opts).unwrap();

        let texts: Vec<&str> = train.iter().map(|e| e.text.as_str()).collect();
        let labels: Vec<u32> = train
            .iter()
            .map(|e| model.intents().iter().position(|i| *i == e.intent).unwrap() as u32)
            .collect();
        let all: Vec<usize> = (0..train.len()).collect();
        let data = Data {
            texts: &texts,
            labels: &labels,
            embeddings: None,
            k: model.intents().len(),
            oos: None,
        };
        let raw = fit_learners(&data, &all, Inputs::new(&opts, false, false), &opts);

        let (mut raw_pairs, mut calibrated_pairs) = (Vec::new(), Vec::new());
        for e in &test {
            let mut p = raw.models[0].scores(&raw.features.transform(&e.text, None));
            linear::softmax_in_place(&mut p);
            let (top, conf) = argmax(&p.iter().map(|&v| f64::from(v)).collect::<Vec<_>>());
            raw_pairs.push((conf as f32, model.intents()[top] == e.intent));
            let pred = model.predict(&e.text);
            calibrated_pairs.push((pred.confidence, pred.intent == e.intent));
        }
        let (before, after) = (ece(&raw_pairs, 10), ece(&calibrated_pairs, 10));
        assert!(
            model.blend_weights()[0] > 1.5,
            "temperature should sharpen: {:?}",
            model.blend_weights()
        );
        assert!(
            after < 0.5 * before,
            "ECE before {before:.3}, after {after:.3}"
        );
    }

    #[test]
    fn training_errors() {
        let one = vec![IntentExample::new("a", "x"), IntentExample::new("b", "x")];
        assert_eq!(
            IntentModel::train(&[], &TrainOptions::default()).unwrap_err(),
            TrainError::NoExamples
        );
        assert_eq!(
            IntentModel::train(&one, &TrainOptions::default()).unwrap_err(),
            TrainError::TooFewIntents(1)
        );
    }

    #[test]
    fn class_weights_balance_counts() {
        assert!(class_weights(&[0, 0, 0, 1], 2, 0.0).is_empty());
        let w = class_weights(&[0, 0, 0, 1], 2, 1.0);
        // Each class then carries the same total weight.
        assert!((w[..3].iter().sum::<f32>() - w[3]).abs() < 1e-6, "{w:?}");
        let half = class_weights(&[0, 0, 0, 1], 2, 0.5);
        assert!((half[3] / half[0] - 3f32.sqrt()).abs() < 1e-5, "{half:?}");
    }

    #[test]
    fn folds_are_stratified() {
        let labels: Vec<u32> = (0..30).map(|i| i % 3).collect();
        let folds = stratified_folds(&labels, 5, 1);
        for f in 0..5 {
            for c in 0..3 {
                let n = (0..30).filter(|&i| folds[i] == f && labels[i] == c).count();
                assert_eq!(n, 2, "fold {f} class {c}");
            }
        }
    }

    fn stand_in() -> TextEmbedder {
        TextEmbedder::new(std::sync::Arc::new(embedding::TrigramEmbedder))
    }

    #[test]
    fn an_encoder_adds_its_inputs_and_predicts_with_them() {
        let mut train = synthetic(21, 20);
        for text in ["какая погода завтра", "tell me a joke", "play some music"] {
            train.push(IntentExample::new(text, OOS_LABEL));
        }
        let opts = small_opts();
        let encoder = stand_in();
        let model = IntentModel::train_with(&train, &opts, Some(&encoder)).unwrap();
        assert!(model.encoder().is_some());
        // Learners, embedding neighbours, then unseen share, offset and nearest-known cosine.
        assert_eq!(model.blend_weights().len(), opts.learners.len() + 4);
        assert_eq!(
            model.n_features(),
            IntentModel::train(&train, &opts).unwrap().n_features() + embedding::DIM
        );
        check_predicts(&model, "Где мой заказ?", "order_status");
        check_predicts(&model, "payment was declined", "payment_failed");
        // The same message embedded by the caller gives the same answer.
        let text = "отмените заказ пожалуйста";
        let e = encoder.message(text);
        assert_eq!(model.predict(text), model.predict_embedded(text, &e));
    }

    #[test]
    fn embedding_options_are_respected() {
        let train = synthetic(22, 15);
        let encoder = stand_in();
        // Weight 0: no embedding columns; no neighbours: no input for them either.
        let opts = TrainOptions {
            embedding_weight: 0.0,
            embedding_neighbors: false,
            ..small_opts()
        };
        let model = IntentModel::train_with(&train, &opts, Some(&encoder)).unwrap();
        assert_eq!(
            model.n_features(),
            IntentModel::train(&train, &opts).unwrap().n_features()
        );
        assert_eq!(model.blend_weights().len(), opts.learners.len());
        let bad = TrainOptions {
            embedding_weight: -1.0,
            ..small_opts()
        };
        assert!(matches!(
            IntentModel::train_with(&train, &bad, Some(&encoder)),
            Err(TrainError::InvalidOption(_))
        ));
    }

    /// The demo shop's examples, as `BotConfig::compile` trains on them (read from its JSON here,
    /// so the classifier's tests need nothing of the bot).
    fn demo_examples() -> Vec<IntentExample> {
        let config: serde_json::Value =
            serde_json::from_str(include_str!("../bot/demo.json")).unwrap();
        let mut out = Vec::new();
        for intent in config["intents"].as_array().unwrap() {
            for e in intent["examples"].as_array().unwrap() {
                out.push(IntentExample::new(
                    e.as_str().unwrap(),
                    intent["name"].as_str().unwrap(),
                ));
            }
        }
        for e in config["out_of_scope_examples"].as_array().unwrap() {
            out.push(IntentExample::new(e.as_str().unwrap(), OOS_LABEL));
        }
        out
    }

    #[test]
    fn e5_recognises_the_demo_shops_intents_in_other_words() {
        let Some(encoder) = embedding::test_encoder() else {
            return;
        };
        let train = demo_examples();
        let opts = TrainOptions::default();
        let lexical = IntentModel::train(&train, &opts).unwrap();
        let model = IntentModel::train_with(&train, &opts, Some(&encoder)).unwrap();
        // Written before either model saw them, with as few of the examples' words as a customer
        // would plausibly use.
        let cases = [
            ("курьер так и не появился с моей покупкой", "order_status"),
            ("сколько накопленных бонусов могу потратить", "balance"),
            ("вы открыты в воскресенье?", "schedule"),
            (
                "я переехал, доставьте по новому месту жительства",
                "change_data",
            ),
            ("за сколько дней довезёте до Новосибирска", "delivery"),
            ("принимаете apple pay?", "payment"),
            ("хочу сдать наушники обратно", "returns"),
            ("телевизор перестал показывать через две недели", "warranty"),
            ("ваш оператор был очень груб со мной", "complaint"),
            ("у меня украли пароль от личного кабинета", "urgent"),
            ("приветствую", "greeting"),
            ("огромное вам спасибо", "thanks"),
        ];
        let out_of_scope = [
            "какой фильм посмотреть в выходные",
            "сколько сейчас стоит биткоин",
            "кто написал войну и мир",
            "what's the weather like in paris",
        ];
        let score = |m: &IntentModel| {
            let right = cases
                .iter()
                .filter(|(text, want)| {
                    let p = m.predict(text);
                    p.intent == *want && !p.out_of_scope
                })
                .count();
            let refused = out_of_scope
                .iter()
                .filter(|t| m.predict(t).out_of_scope)
                .count();
            (right, refused)
        };
        // Measured: e5 11 of 12 right (the missing one is taken for urgent) and 4 of 4 refused;
        // the words alone 3 of 12 and 4 of 4.
        let (with, without) = (score(&model), score(&lexical));
        assert!(
            with.0 >= 10 && with.0 >= without.0 + 5 && with.1 >= 3,
            "(right, refused): e5 {with:?}, words alone {without:?}"
        );
    }

    #[test]
    fn model_is_shareable() {
        fn assert_send_sync<T: Send + Sync + Clone + std::fmt::Debug>() {}
        assert_send_sync::<IntentModel>();
    }
}
