//! What a bot configuration's classifier gets right, measured before customers meet it: the
//! figures the admin console shows on publishing.
//!
//! Every example of the configuration is predicted by a model trained without it (stratified
//! k-fold, [`crate::eval::out_of_fold_predictions`]), so the figures are what new messages phrased
//! like the examples would see, not what the model remembers. They are the classifier's alone:
//! trigger phrases and the LLM router, which can only add correct answers on top, are left out.
//!
//! - **accuracy**: share of the intents' examples whose best intent is right;
//! - **confusions**: which intent's examples were taken for which other one, most often first;
//! - **curve**: for one threshold applied to every intent, the share of in-scope examples the bot
//!   would act on (coverage) and the share of those acted on wrongly (error, out-of-scope examples
//!   acted on included); **chosen** is the same pair under the configuration's own thresholds, the
//!   point the owner set.

use std::collections::BTreeMap;
use std::time::Instant;

use serde::Serialize;

use crate::eval::{EvalError, OutOfFold, out_of_fold_predictions};
use crate::intent::embedding::TextEmbedder;
use crate::intent::{IntentExample, OOS_LABEL, TrainOptions};

use super::config::BotConfig;

/// Folds of the cross-validation; fewer when an intent has fewer examples.
const FOLDS: usize = 5;
/// The curve's thresholds: 0, 0.05, …, 1.
const CURVE_STEPS: usize = 20;
/// Confusion pairs listed, and examples shown per pair.
const MAX_CONFUSIONS: usize = 12;
const EXAMPLES_PER_CONFUSION: usize = 3;

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ConfigReport {
    pub folds: usize,
    /// The intents' examples (out-of-scope ones apart).
    pub n_examples: usize,
    pub n_out_of_scope: usize,
    pub accuracy: f64,
    /// Share of the out-of-scope examples the bot would not act on; absent without any.
    pub oos_recall: Option<f64>,
    pub intents: Vec<IntentFigures>,
    pub confusions: Vec<Confusion>,
    pub curve: Vec<CurvePoint>,
    pub chosen: CurvePoint,
    /// Whether the sentence encoder took part.
    pub encoder: bool,
    pub seconds: f64,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IntentFigures {
    pub intent: String,
    pub examples: usize,
    /// Share of its examples recognised as it.
    pub recall: f64,
    /// The threshold it acts at under the configuration.
    pub threshold: f32,
}

#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Confusion {
    /// The intent the examples belong to.
    pub truth: String,
    /// What they were taken for ([`OOS_LABEL`]: for nothing).
    pub predicted: String,
    pub count: usize,
    pub examples: Vec<String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct CurvePoint {
    /// `None` for the chosen point when intents have thresholds of their own.
    pub threshold: Option<f32>,
    pub coverage: f64,
    pub error: f64,
}

/// Cross-validates `config`'s classifier (with `encoder` when given). Seconds of CPU for a
/// shop-sized configuration; run it off the async workers.
pub fn evaluate_config(
    config: &BotConfig,
    encoder: Option<&TextEmbedder>,
) -> Result<ConfigReport, EvalError> {
    let started = Instant::now();
    let mut examples: Vec<IntentExample> = Vec::new();
    for intent in &config.intents {
        for e in intent.examples.iter().filter(|e| !e.trim().is_empty()) {
            examples.push(IntentExample::new(e.as_str(), intent.name.as_str()));
        }
    }
    for e in config
        .out_of_scope_examples
        .iter()
        .filter(|e| !e.trim().is_empty())
    {
        examples.push(IntentExample::new(e.as_str(), OOS_LABEL));
    }
    let smallest = config
        .intents
        .iter()
        .map(|i| i.examples.iter().filter(|e| !e.trim().is_empty()).count())
        .min()
        .unwrap_or(0);
    let folds = FOLDS.min(smallest).max(2);
    let predictions = out_of_fold_predictions(&examples, folds, &TrainOptions::default(), encoder)?;

    let thresholds: BTreeMap<&str, f32> = config
        .intents
        .iter()
        .map(|i| (i.name.as_str(), config.threshold_of(i)))
        .collect();
    let threshold_of = |intent: &str| thresholds.get(intent).copied().unwrap_or(1.0);

    let in_scope: Vec<&OutOfFold> = predictions
        .iter()
        .filter(|p| p.truth != OOS_LABEL)
        .collect();
    let oos: Vec<&OutOfFold> = predictions
        .iter()
        .filter(|p| p.truth == OOS_LABEL)
        .collect();
    let share = |n: usize, of: usize| if of == 0 { 0.0 } else { n as f64 / of as f64 };
    let accuracy = share(
        in_scope.iter().filter(|p| p.predicted == p.truth).count(),
        in_scope.len(),
    );

    let point = |acts: &dyn Fn(&OutOfFold) -> bool, threshold: Option<f32>| {
        let covered = in_scope.iter().filter(|p| acts(p)).count();
        let wrong = in_scope
            .iter()
            .filter(|p| acts(p) && p.predicted != p.truth)
            .count()
            + oos.iter().filter(|p| acts(p)).count();
        let acted = covered + oos.iter().filter(|p| acts(p)).count();
        CurvePoint {
            threshold,
            coverage: share(covered, in_scope.len()),
            error: share(wrong, acted),
        }
    };
    let acts_at = |t: f32| move |p: &OutOfFold| p.predicted != OOS_LABEL && p.confidence >= t;
    let curve = (0..=CURVE_STEPS)
        .map(|i| {
            let t = i as f32 / CURVE_STEPS as f32;
            point(&acts_at(t), Some(t))
        })
        .collect();
    let uniform = config
        .intents
        .iter()
        .all(|i| i.threshold.is_none())
        .then_some(config.confidence_threshold)
        .flatten();
    let chosen = point(
        &|p: &OutOfFold| p.predicted != OOS_LABEL && p.confidence >= threshold_of(&p.predicted),
        uniform,
    );

    let mut pairs: BTreeMap<(&str, &str), Vec<&str>> = BTreeMap::new();
    for p in predictions.iter().filter(|p| p.predicted != p.truth) {
        pairs
            .entry((p.truth.as_str(), p.predicted.as_str()))
            .or_default()
            .push(p.text.as_str());
    }
    let mut confusions: Vec<Confusion> = pairs
        .into_iter()
        .map(|((truth, predicted), texts)| Confusion {
            truth: truth.to_owned(),
            predicted: predicted.to_owned(),
            count: texts.len(),
            examples: texts
                .iter()
                .take(EXAMPLES_PER_CONFUSION)
                .map(|t| (*t).to_owned())
                .collect(),
        })
        .collect();
    confusions.sort_by_key(|c| std::cmp::Reverse(c.count));
    confusions.truncate(MAX_CONFUSIONS);

    let intents = config
        .intents
        .iter()
        .map(|i| {
            let mine: Vec<&&OutOfFold> = in_scope.iter().filter(|p| p.truth == i.name).collect();
            IntentFigures {
                intent: i.name.clone(),
                examples: mine.len(),
                recall: share(
                    mine.iter().filter(|p| p.predicted == i.name).count(),
                    mine.len(),
                ),
                threshold: threshold_of(&i.name),
            }
        })
        .collect();

    Ok(ConfigReport {
        folds,
        n_examples: in_scope.len(),
        n_out_of_scope: oos.len(),
        accuracy,
        oos_recall: (!oos.is_empty()).then(|| {
            share(
                oos.iter()
                    .filter(|p| {
                        p.predicted == OOS_LABEL || p.confidence < threshold_of(&p.predicted)
                    })
                    .count(),
                oos.len(),
            )
        }),
        intents,
        confusions,
        curve,
        chosen,
        encoder: encoder.is_some(),
        seconds: started.elapsed().as_secs_f64(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_demo_is_measured_out_of_fold_with_a_monotone_curve() {
        let config = BotConfig::demo();
        let report = evaluate_config(&config, None).unwrap();
        assert_eq!(report.folds, FOLDS);
        assert_eq!(
            report.n_examples,
            config
                .intents
                .iter()
                .map(|i| i.examples.len())
                .sum::<usize>()
        );
        assert!(
            report.accuracy > 0.5 && report.accuracy <= 1.0,
            "{report:?}"
        );
        assert_eq!(report.curve.len(), CURVE_STEPS + 1);
        assert_eq!(report.curve[0].threshold, Some(0.0));
        // A higher threshold never acts on more examples.
        for w in report.curve.windows(2) {
            assert!(w[1].coverage <= w[0].coverage, "{:?}", report.curve);
        }
        assert_eq!(report.intents.len(), config.intents.len());
        for c in &report.confusions {
            assert_ne!(c.truth, c.predicted);
            assert_eq!(c.examples.len(), c.count.min(EXAMPLES_PER_CONFUSION));
        }
        assert!(
            report
                .confusions
                .windows(2)
                .all(|w| w[0].count >= w[1].count)
        );
    }

    #[test]
    fn a_higher_confidence_threshold_moves_the_chosen_point_down_the_curve() {
        let mut config = BotConfig::demo();
        for i in &mut config.intents {
            i.threshold = None;
        }
        config.confidence_threshold = Some(0.3);
        let low = evaluate_config(&config, None).unwrap();
        config.confidence_threshold = Some(0.9);
        let high = evaluate_config(&config, None).unwrap();
        assert_eq!(low.chosen.threshold, Some(0.3));
        assert!(
            high.chosen.coverage < low.chosen.coverage,
            "{low:?} {high:?}"
        );
        // Complaints and urgent requests keep their own thresholds (0.5, 0.4), so the chosen
        // point lies between the curve at the lowest threshold in use and at the chosen one.
        let at = |r: &ConfigReport, t: f32| {
            r.curve
                .iter()
                .find(|p| (p.threshold.unwrap() - t).abs() < 1e-6)
                .unwrap()
                .coverage
        };
        assert!(at(&high, 0.9) <= high.chosen.coverage, "{high:?}");
        assert!(high.chosen.coverage <= at(&high, 0.4), "{high:?}");
    }
}
