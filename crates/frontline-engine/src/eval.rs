//! Measuring the intent classifier: loaders for the benchmark formats we use (a CSV with named
//! text and label columns, CLINC150's JSON, DeepPavlov AutoIntent's JSON), hold-out and
//! cross-validated evaluation, and a report that serialises to one JSON object.
//!
//! Every threshold in the report was chosen by the model on its own training data (out-of-fold)
//! and is only *measured* on the evaluated split, so the figures are what a deployment would
//! see, not what hindsight could pick.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Instant;

use serde::Serialize;

use crate::intent::calibration::expected_calibration_error;
use crate::intent::embedding::{Kind, TextEmbedder};
use crate::intent::{
    IntentExample, IntentModel, OOS_LABEL, TrainError, TrainOptions, stratified_folds,
};

/// How many evaluated messages per fold are embedded live (and timed); the rest use embeddings
/// computed in one batch through the disk cache, which gives the same vectors in a fraction of
/// the time. Two hundred timings are enough for a p99 that is not just the maximum.
const LIVE_MESSAGES: usize = 200;

#[derive(Debug, thiserror::Error)]
pub enum EvalError {
    #[error("cannot read {path}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("bad CSV")]
    Csv(#[from] csv::Error),
    #[error("CSV has no column {0:?}")]
    MissingColumn(String),
    #[error("bad JSON")]
    Json(#[from] serde_json::Error),
    #[error("unexpected data layout: {0}")]
    Format(String),
    #[error("training failed")]
    Train(#[from] TrainError),
    #[error("cross-validation needs k >= 2 and at least k examples")]
    Folds,
}

/// Reads examples from CSV with a header row, taking the text and the label from the columns
/// with the given names. Rows with an empty text or label are skipped.
pub fn read_csv<R: Read>(
    reader: R,
    text_column: &str,
    label_column: &str,
) -> Result<Vec<IntentExample>, EvalError> {
    let mut csv = csv::ReaderBuilder::new().flexible(true).from_reader(reader);
    let headers = csv.headers()?.clone();
    let find = |name: &str| {
        headers
            .iter()
            .position(|h| h.trim() == name)
            .ok_or_else(|| EvalError::MissingColumn(name.to_owned()))
    };
    let (text_at, label_at) = (find(text_column)?, find(label_column)?);
    let mut out = Vec::new();
    for record in csv.records() {
        let record = record?;
        let (Some(text), Some(label)) = (record.get(text_at), record.get(label_at)) else {
            continue;
        };
        if !text.trim().is_empty() && !label.trim().is_empty() {
            out.push(IntentExample::new(text, label.trim()));
        }
    }
    Ok(out)
}

pub fn load_csv(
    path: &Path,
    text_column: &str,
    label_column: &str,
) -> Result<Vec<IntentExample>, EvalError> {
    let file = std::fs::File::open(path).map_err(|source| EvalError::Io {
        path: path.to_owned(),
        source,
    })?;
    read_csv(std::io::BufReader::new(file), text_column, label_column)
}

/// Which CLINC150 split to evaluate on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ClincSplit {
    Val,
    Test,
}

/// Splits CLINC150's JSON (`train`, `val`, `test`, `oos_train`, `oos_val`, `oos_test`, each a
/// list of `[text, label]`) into training examples (`train` + `oos_train`) and the chosen
/// evaluation split with its out-of-scope part. Out-of-scope rows are labelled [`OOS_LABEL`].
pub fn parse_clinc(
    json: &str,
    split: ClincSplit,
) -> Result<(Vec<IntentExample>, Vec<IntentExample>), EvalError> {
    let data: BTreeMap<String, Vec<(String, String)>> = serde_json::from_str(json)?;
    let take = |key: &str, oos: bool| -> Result<Vec<IntentExample>, EvalError> {
        let rows = data
            .get(key)
            .ok_or_else(|| EvalError::Format(format!("no {key:?} key")))?;
        Ok(rows
            .iter()
            .map(|(text, label)| {
                IntentExample::new(text.as_str(), if oos { OOS_LABEL } else { label.as_str() })
            })
            .collect())
    };
    let mut train = take("train", false)?;
    train.extend(take("oos_train", true)?);
    let (in_scope, out_of_scope) = match split {
        ClincSplit::Val => ("val", "oos_val"),
        ClincSplit::Test => ("test", "oos_test"),
    };
    let mut eval = take(in_scope, false)?;
    eval.extend(take(out_of_scope, true)?);
    Ok((train, eval))
}

pub fn load_clinc(
    path: &Path,
    split: ClincSplit,
) -> Result<(Vec<IntentExample>, Vec<IntentExample>), EvalError> {
    let json = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_clinc(&json, split)
}

/// Reads DeepPavlov AutoIntent's intent records: `{"utterances": [{"text", "label": <id>}],
/// "intents": [{"id", "name"}]}`. An intent without a name is labelled by its id.
pub fn parse_autointent(json: &str) -> Result<Vec<IntentExample>, EvalError> {
    #[derive(serde::Deserialize)]
    struct Records {
        utterances: Vec<Utterance>,
        #[serde(default)]
        intents: Vec<Intent>,
    }
    #[derive(serde::Deserialize)]
    struct Utterance {
        text: String,
        label: Option<i64>,
    }
    #[derive(serde::Deserialize)]
    struct Intent {
        id: i64,
        name: Option<String>,
    }
    let records: Records = serde_json::from_str(json)?;
    let names: BTreeMap<i64, String> = records
        .intents
        .into_iter()
        .filter_map(|i| Some((i.id, i.name?)))
        .collect();
    Ok(records
        .utterances
        .into_iter()
        .filter(|u| !u.text.trim().is_empty())
        // Unlabelled utterances (AutoIntent's out-of-scope convention) are out of scope.
        .map(|u| {
            let label = match u.label {
                Some(id) => names.get(&id).cloned().unwrap_or_else(|| id.to_string()),
                None => OOS_LABEL.to_owned(),
            };
            IntentExample::new(u.text, label)
        })
        .collect())
}

pub fn load_autointent(path: &Path) -> Result<Vec<IntentExample>, EvalError> {
    let json = std::fs::read_to_string(path).map_err(|source| EvalError::Io {
        path: path.to_owned(),
        source,
    })?;
    parse_autointent(&json)
}

/// Stratified, seeded k-fold split of one data set: `(train, test)` per fold.
pub fn k_fold(
    all: &[IntentExample],
    k: usize,
    seed: u64,
) -> Vec<(Vec<IntentExample>, Vec<IntentExample>)> {
    let mut ids: BTreeMap<&str, u32> = BTreeMap::new();
    for e in all {
        let next = ids.len() as u32;
        ids.entry(e.intent.as_str()).or_insert(next);
    }
    let labels: Vec<u32> = all.iter().map(|e| ids[e.intent.as_str()]).collect();
    let fold_of = stratified_folds(&labels, k, seed);
    (0..k)
        .map(|f| {
            let pick = |same: bool| {
                all.iter()
                    .zip(&fold_of)
                    .filter(|&(_, &g)| (g == f) == same)
                    .map(|(e, _)| e.clone())
                    .collect()
            };
            (pick(false), pick(true))
        })
        .collect()
}

/// An operating point: a threshold chosen on training data for a wrong-answer target, and what
/// it achieved there and on the evaluated split.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct OperatingPoint {
    /// Mean over folds when cross-validated.
    pub threshold: f32,
    /// Share of evaluated messages answered.
    pub coverage: f64,
    /// Share of answered evaluated messages answered wrongly.
    pub wrong_rate: f64,
    /// The same two on the training data's out-of-fold predictions, where it was chosen.
    pub train_coverage: f64,
    pub train_wrong_rate: f64,
}

/// The result of an evaluation. Serialises to one flat-ish JSON object.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EvalReport {
    pub n_train: usize,
    pub n_test: usize,
    /// Intents known to the model, not counting [`OOS_LABEL`].
    pub n_intents: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub folds: Option<usize>,
    /// Top-1 accuracy. When the test set has out-of-scope examples, an abstention counts as
    /// predicting [`OOS_LABEL`].
    pub accuracy: f64,
    /// Macro-averaged F1 over the labels seen in truth or prediction, same convention.
    pub macro_f1: f64,
    /// Accuracy over in-scope test messages; abstaining or predicting out-of-scope is wrong.
    /// Only when the test set has out-of-scope examples.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub in_scope_accuracy: Option<f64>,
    /// Share of out-of-scope test messages predicted out-of-scope or abstained on.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub oos_recall: Option<f64>,
    /// Expected calibration error of the top answer's confidence (15 equal-width bins).
    pub ece: f64,
    /// The model's own abstention threshold (`TrainOptions::abstain_wrong_rate`).
    pub abstain: OperatingPoint,
    /// Thresholds chosen out-of-fold on training data for ≤2% and ≤5% wrong answers.
    pub at_2pct: OperatingPoint,
    pub at_5pct: OperatingPoint,
    /// Training time, including the calibration folds (mean per fold when cross-validated).
    pub train_seconds: f64,
    /// Whether the model used sentence embeddings.
    pub encoder: bool,
    /// Latency of one `predict` call, microseconds; with an encoder, embedding the message
    /// included (measured on the first messages of each fold, see [`LIVE_MESSAGES`]).
    pub p50_us: f64,
    pub p99_us: f64,
    pub n_features: usize,
    pub model_bytes: usize,
    /// Fitted weight of each learner in the logits (first fold's model when cross-validated).
    pub blend: Vec<f64>,
}

impl EvalReport {
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("the report has only plain fields")
    }
}

impl std::fmt::Display for EvalReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.to_json())
    }
}

/// Trains on `train`, measures on `test`.
pub fn evaluate(
    train: &[IntentExample],
    test: &[IntentExample],
    opts: &TrainOptions,
) -> Result<EvalReport, EvalError> {
    evaluate_with(train, test, opts, None)
}

/// [`evaluate`] with sentence embeddings from `encoder`.
pub fn evaluate_with(
    train: &[IntentExample],
    test: &[IntentExample],
    opts: &TrainOptions,
    encoder: Option<&TextEmbedder>,
) -> Result<EvalReport, EvalError> {
    let fold = run_fold(train, test, opts, encoder)?;
    Ok(report(vec![fold], None))
}

/// Stratified k-fold cross-validation on one data set (folds seeded with `opts.seed`); the
/// metrics are computed over the pooled out-of-fold predictions.
pub fn cross_validate(
    all: &[IntentExample],
    k: usize,
    opts: &TrainOptions,
) -> Result<EvalReport, EvalError> {
    cross_validate_with(all, k, opts, None)
}

/// [`cross_validate`] with sentence embeddings from `encoder`.
pub fn cross_validate_with(
    all: &[IntentExample],
    k: usize,
    opts: &TrainOptions,
    encoder: Option<&TextEmbedder>,
) -> Result<EvalReport, EvalError> {
    if k < 2 || all.len() < k {
        return Err(EvalError::Folds);
    }
    let folds = k_fold(all, k, opts.seed)
        .into_iter()
        .map(|(train, test)| run_fold(&train, &test, opts, encoder))
        .collect::<Result<Vec<_>, _>>()?;
    Ok(report(folds, Some(k)))
}

/// One example's out-of-fold prediction: what a model trained without it said of it.
#[derive(Debug, Clone, PartialEq)]
pub struct OutOfFold {
    pub text: String,
    pub truth: String,
    /// The most probable intent (may be [`OOS_LABEL`]).
    pub predicted: String,
    /// [`crate::intent::Prediction::answer_confidence`]: what the policy compares with thresholds.
    pub confidence: f32,
    pub out_of_scope: bool,
}

/// Every example of `all` predicted by the model of the fold that left it out (stratified
/// k-fold seeded with `opts.seed`), in fold order.
pub fn out_of_fold_predictions(
    all: &[IntentExample],
    k: usize,
    opts: &TrainOptions,
    encoder: Option<&TextEmbedder>,
) -> Result<Vec<OutOfFold>, EvalError> {
    if k < 2 || all.len() < k {
        return Err(EvalError::Folds);
    }
    let mut out = Vec::with_capacity(all.len());
    for (train, test) in k_fold(all, k, opts.seed) {
        let fold = run_fold(&train, &test, opts, encoder)?;
        out.extend(test.into_iter().zip(fold.outcomes).map(|(e, o)| OutOfFold {
            text: e.text,
            truth: o.truth,
            confidence: o.answer_confidence,
            out_of_scope: o.out_of_scope,
            predicted: o.top,
        }));
    }
    Ok(out)
}

/// What one trained model did on one test set.
struct Fold {
    model: IntentModel,
    train_seconds: f64,
    n_train: usize,
    outcomes: Vec<Outcome>,
    latencies_us: Vec<f64>,
}

struct Outcome {
    truth: String,
    top: String,
    top_confidence: f32,
    answer_confidence: f32,
    out_of_scope: bool,
}

fn run_fold(
    train: &[IntentExample],
    test: &[IntentExample],
    opts: &TrainOptions,
    encoder: Option<&TextEmbedder>,
) -> Result<Fold, EvalError> {
    let started = Instant::now();
    let model = IntentModel::train_with(train, opts, encoder)?;
    let train_seconds = started.elapsed().as_secs_f64();
    let batched = encoder.map(|enc| {
        let rest: Vec<&str> = test
            .iter()
            .skip(LIVE_MESSAGES)
            .map(|e| e.text.as_str())
            .collect();
        enc.known(&rest, Kind::Query)
    });
    let mut outcomes = Vec::with_capacity(test.len());
    let mut latencies_us = Vec::with_capacity(test.len());
    for (i, e) in test.iter().enumerate() {
        let started = Instant::now();
        let p = match &batched {
            Some(b) if i >= LIVE_MESSAGES => model.predict_embedded(&e.text, &b[i - LIVE_MESSAGES]),
            _ => model.predict(&e.text),
        };
        if batched.is_none() || i < LIVE_MESSAGES {
            latencies_us.push(started.elapsed().as_secs_f64() * 1e6);
        }
        outcomes.push(Outcome {
            truth: e.intent.clone(),
            answer_confidence: p.answer_confidence(),
            top_confidence: p.confidence,
            out_of_scope: p.out_of_scope,
            top: p.intent,
        });
    }
    Ok(Fold {
        model,
        train_seconds,
        n_train: train.len(),
        outcomes,
        latencies_us,
    })
}

fn report(folds: Vec<Fold>, k: Option<usize>) -> EvalReport {
    let n_folds = folds.len() as f64;
    let outcomes: Vec<&Outcome> = folds.iter().flat_map(|f| &f.outcomes).collect();
    let has_oos = outcomes.iter().any(|o| o.truth == OOS_LABEL);
    let predicted = |o: &Outcome| -> String {
        if has_oos && o.out_of_scope {
            OOS_LABEL.to_owned()
        } else {
            o.top.clone()
        }
    };
    let pairs: Vec<(String, String)> = outcomes
        .iter()
        .map(|o| (o.truth.clone(), predicted(o)))
        .collect();
    let share = |hits: usize, n: usize| if n == 0 { 0.0 } else { hits as f64 / n as f64 };
    let accuracy = share(pairs.iter().filter(|(t, p)| t == p).count(), pairs.len());
    let (in_scope_accuracy, oos_recall) = if has_oos {
        let of = |oos: bool| {
            let group: Vec<_> = pairs
                .iter()
                .filter(|(t, _)| (t == OOS_LABEL) == oos)
                .collect();
            share(group.iter().filter(|(t, p)| t == p).count(), group.len())
        };
        (Some(of(false)), Some(of(true)))
    } else {
        (None, None)
    };
    let top_scored: Vec<(f32, bool)> = outcomes
        .iter()
        .map(|o| (o.top_confidence, o.top == o.truth))
        .collect();
    let point = |threshold_of: &dyn Fn(&IntentModel) -> crate::ThresholdChoice| {
        let (mut answered, mut wrong, mut total) = (0usize, 0usize, 0usize);
        let (mut threshold, mut train_coverage, mut train_wrong) = (0.0, 0.0, 0.0);
        for f in &folds {
            let chosen = threshold_of(&f.model);
            threshold += f64::from(chosen.threshold) / n_folds;
            train_coverage += chosen.coverage / n_folds;
            train_wrong += chosen.wrong_rate / n_folds;
            for o in &f.outcomes {
                total += 1;
                if o.answer_confidence >= chosen.threshold {
                    answered += 1;
                    wrong += usize::from(o.top != o.truth);
                }
            }
        }
        OperatingPoint {
            threshold: threshold as f32,
            coverage: share(answered, total),
            wrong_rate: share(wrong, answered),
            train_coverage,
            train_wrong_rate: train_wrong,
        }
    };
    let mut latencies: Vec<f64> = folds
        .iter()
        .flat_map(|f| f.latencies_us.iter().copied())
        .collect();
    latencies.sort_unstable_by(f64::total_cmp);
    let quantile = |q: f64| {
        if latencies.is_empty() {
            0.0
        } else {
            latencies[((latencies.len() - 1) as f64 * q).round() as usize]
        }
    };
    let first = &folds[0].model;
    EvalReport {
        n_train: (folds.iter().map(|f| f.n_train).sum::<usize>() as f64 / n_folds).round() as usize,
        n_test: outcomes.len(),
        n_intents: first.intents().iter().filter(|i| *i != OOS_LABEL).count(),
        folds: k,
        accuracy,
        macro_f1: macro_f1(&pairs),
        in_scope_accuracy,
        oos_recall,
        ece: expected_calibration_error(&top_scored, 15),
        abstain: point(&|m| m.abstain_threshold()),
        at_2pct: point(&|m| m.threshold_for(0.02)),
        at_5pct: point(&|m| m.threshold_for(0.05)),
        train_seconds: folds.iter().map(|f| f.train_seconds).sum::<f64>() / n_folds,
        p50_us: quantile(0.5),
        p99_us: quantile(0.99),
        n_features: first.n_features(),
        encoder: first.encoder().is_some(),
        model_bytes: first.size_bytes(),
        blend: first.blend_weights().to_vec(),
    }
}

/// Macro F1 over every label that occurs as truth or prediction (scikit-learn's convention).
fn macro_f1(pairs: &[(String, String)]) -> f64 {
    let mut counts: BTreeMap<&str, (usize, usize, usize)> = BTreeMap::new(); // tp, fp, fn
    for (t, p) in pairs {
        if t == p {
            counts.entry(t).or_default().0 += 1;
        } else {
            counts.entry(p).or_default().1 += 1;
            counts.entry(t).or_default().2 += 1;
        }
    }
    if counts.is_empty() {
        return 0.0;
    }
    let f1 = |&(tp, fp, fn_): &(usize, usize, usize)| {
        let denom = 2 * tp + fp + fn_;
        if denom == 0 {
            0.0
        } else {
            2.0 * tp as f64 / denom as f64
        }
    };
    counts.values().map(f1).sum::<f64>() / counts.len() as f64
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_by_column_names() {
        let data = "id,text,category\n1,\"Where is my card, please?\",card_arrival\n2,hi,greeting\n3,,empty\n";
        let got = read_csv(data.as_bytes(), "text", "category").unwrap();
        assert_eq!(
            got,
            vec![
                IntentExample::new("Where is my card, please?", "card_arrival"),
                IntentExample::new("hi", "greeting")
            ]
        );
        assert!(
            matches!(read_csv(data.as_bytes(), "text", "label"), Err(EvalError::MissingColumn(c)) if c == "label")
        );
    }

    #[test]
    fn clinc_layout() {
        let json = r#"{
            "train": [["book a flight", "book_flight"], ["what's my balance", "balance"]],
            "oos_train": [["how tall is everest", "oos"]],
            "val": [["fly me to rome", "book_flight"]],
            "oos_val": [["sing a song", "oos"]]
        }"#;
        let (train, val) = parse_clinc(json, ClincSplit::Val).unwrap();
        assert_eq!(train.len(), 3);
        assert_eq!(
            train[2],
            IntentExample::new("how tall is everest", OOS_LABEL)
        );
        assert_eq!(
            val,
            vec![
                IntentExample::new("fly me to rome", "book_flight"),
                IntentExample::new("sing a song", OOS_LABEL)
            ]
        );
        assert!(matches!(
            parse_clinc(json, ClincSplit::Test),
            Err(EvalError::Format(_))
        ));
    }

    #[test]
    fn autointent_layout() {
        let json = r#"{
            "utterances": [{"text": "карта не активируется", "label": 0}, {"text": "привет", "label": 1},
                           {"text": "какая погода", "label": null}, {"text": " ", "label": 0}],
            "intents": [{"id": 0, "name": "activate_my_card", "tags": []}, {"id": 1, "name": null}]
        }"#;
        assert_eq!(
            parse_autointent(json).unwrap(),
            vec![
                IntentExample::new("карта не активируется", "activate_my_card"),
                IntentExample::new("привет", "1"),
                IntentExample::new("какая погода", OOS_LABEL),
            ]
        );
        assert!(matches!(
            parse_autointent(r#"{"intents": []}"#),
            Err(EvalError::Json(_))
        ));
    }

    #[test]
    fn k_fold_covers_everything_once() {
        let all = crate::intent::tests::synthetic(5, 10);
        let folds = k_fold(&all, 5, 3);
        assert_eq!(folds.len(), 5);
        assert_eq!(
            folds.iter().map(|(_, test)| test.len()).sum::<usize>(),
            all.len()
        );
        for (train, test) in &folds {
            assert_eq!(train.len() + test.len(), all.len());
            assert!(
                test.iter()
                    .all(|e| !train.contains(e) || all.iter().filter(|a| *a == e).count() > 1)
            );
        }
    }

    #[test]
    fn macro_f1_by_hand() {
        let p = |t: &str, q: &str| (t.to_owned(), q.to_owned());
        // a: tp 1, fn 1 -> 2/3; b: tp 1, fp 1 -> 2/3.
        let got = macro_f1(&[p("a", "a"), p("a", "b"), p("b", "b")]);
        assert!((got - 2.0 / 3.0).abs() < 1e-12);
    }

    #[test]
    fn report_json_keys() {
        let train = crate::intent::tests::synthetic(6, 15);
        let mut test = crate::intent::tests::synthetic(7, 5);
        test.push(IntentExample::new("какая сегодня погода", OOS_LABEL));
        let report = evaluate(&train, &test, &TrainOptions::default()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        for key in [
            "accuracy",
            "macro_f1",
            "oos_recall",
            "in_scope_accuracy",
            "ece",
            "train_seconds",
            "p50_us",
            "p99_us",
            "n_train",
            "n_test",
            "n_intents",
        ] {
            assert!(
                json.get(key).is_some_and(|v| v.is_number()),
                "missing {key} in {json}"
            );
        }
        for point in ["at_2pct", "at_5pct", "abstain"] {
            for key in ["threshold", "coverage", "wrong_rate"] {
                assert!(json[point][key].is_number(), "missing {point}.{key}");
            }
        }
        assert_eq!(
            (json["n_train"].as_u64(), json["n_intents"].as_u64()),
            (Some(90), Some(6))
        );

        // Without out-of-scope test examples there is no in-scope/out-of-scope split to report.
        let report = evaluate(&train, &test[..test.len() - 1], &TrainOptions::default()).unwrap();
        let json: serde_json::Value = serde_json::from_str(&report.to_json()).unwrap();
        assert!(json.get("oos_recall").is_none() && json.get("in_scope_accuracy").is_none());
        assert!(report.accuracy > 0.8, "{report}");
    }

    #[test]
    fn cross_validation_pools_folds() {
        let all = crate::intent::tests::synthetic(8, 10);
        let report = cross_validate(&all, 3, &TrainOptions::default()).unwrap();
        assert_eq!((report.n_test, report.folds), (all.len(), Some(3)));
        assert!(matches!(
            cross_validate(&all, 1, &TrainOptions::default()),
            Err(EvalError::Folds)
        ));
    }
}
