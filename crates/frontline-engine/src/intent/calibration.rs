//! Calibration: turning raw linear scores into probabilities that mean what they say.
//!
//! The classifier's logits are `Σ_j a_j·z_j`, where `z_j` are the scores of learner `j`
//! (logistic regression, SVM margins, ...), all predicted out-of-fold on the training data.
//! Fitting the weights `a` by minimising the log-loss is temperature scaling generalised to
//! several inputs: it sets the ensemble weights and the temperature in one convex problem (the
//! log-likelihood of a softmax is concave in parameters that enter the logits linearly), so
//! Newton's method solves it in a handful of steps with no tuning.
//!
//! The module also holds the measures of calibration and selective answering used by the
//! evaluation: the expected calibration error and the choice of an abstention threshold.

use serde::Serialize;

/// Scores of every message under each learner, with its true class, predicted out-of-fold.
#[derive(Debug, Clone, Default)]
pub struct OofScores {
    pub n_classes: usize,
    /// Per learner, row-major `n × n_classes`.
    pub scores: Vec<Vec<f32>>,
    pub labels: Vec<u32>,
    /// Per input, whether its weight may be negative (missing entries: no). Learners' scores
    /// must keep their sign; an input that is a class's constant offset need not.
    pub signed: Vec<bool>,
}

impl OofScores {
    pub fn len(&self) -> usize {
        self.labels.len()
    }

    pub fn is_empty(&self) -> bool {
        self.labels.is_empty()
    }

    fn row(&self, learner: usize, i: usize) -> &[f32] {
        &self.scores[learner][i * self.n_classes..(i + 1) * self.n_classes]
    }

    /// Calibrated class probabilities of message `i` under blend weights `a`.
    pub fn probabilities(&self, i: usize, a: &[f64], out: &mut Vec<f64>) {
        out.clear();
        out.resize(self.n_classes, 0.0);
        for (j, &aj) in a.iter().enumerate() {
            if aj != 0.0 {
                for (o, &z) in out.iter_mut().zip(self.row(j, i)) {
                    *o += aj * f64::from(z);
                }
            }
        }
        let max = out.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut sum = 0.0;
        for v in out.iter_mut() {
            *v = (*v - max).exp();
            sum += *v;
        }
        for v in out.iter_mut() {
            *v /= sum;
        }
    }

    /// Mean negative log-likelihood under blend weights `a`.
    pub fn nll(&self, a: &[f64]) -> f64 {
        let mut p = Vec::new();
        let mut total = 0.0;
        for i in 0..self.len() {
            self.probabilities(i, a, &mut p);
            total -= p[self.labels[i] as usize].max(1e-300).ln();
        }
        total / self.len().max(1) as f64
    }
}

/// Fits the blend weights (one per learner, starting from the first learner alone) by Newton's
/// method with backtracking. Weights are kept non-negative, since a learner that votes against
/// its own scores would only be fitting noise; a weight at zero whose gradient pushes it below
/// zero is left out of the Newton system (an active-set step). Inputs marked `signed` are
/// exempt.
pub fn fit_blend(oof: &OofScores) -> Vec<f64> {
    let m = oof.scores.len();
    let mut a = vec![0.0; m];
    if m == 0 {
        return a;
    }
    a[0] = 1.0;
    if oof.is_empty() {
        return a;
    }
    let mut current = oof.nll(&a);
    let mut p = Vec::new();
    let mut e = vec![0.0; m];
    for _ in 0..50 {
        let mut grad = vec![0.0; m];
        let mut hess = vec![vec![0.0; m]; m];
        for i in 0..oof.len() {
            oof.probabilities(i, &a, &mut p);
            let y = oof.labels[i] as usize;
            let rows: Vec<&[f32]> = (0..m).map(|j| oof.row(j, i)).collect();
            for j in 0..m {
                e[j] = p
                    .iter()
                    .zip(rows[j])
                    .map(|(&pc, &z)| pc * f64::from(z))
                    .sum();
                grad[j] += e[j] - f64::from(rows[j][y]);
            }
            for j in 0..m {
                for l in j..m {
                    let second: f64 = p
                        .iter()
                        .zip(rows[j])
                        .zip(rows[l])
                        .map(|((&pc, &zj), &zl)| pc * f64::from(zj) * f64::from(zl))
                        .sum();
                    hess[j][l] += second - e[j] * e[l];
                }
            }
        }
        let signed = |j: usize| oof.signed.get(j).copied().unwrap_or(false);
        let free: Vec<usize> = (0..m)
            .filter(|&j| a[j] > 0.0 || grad[j] < 0.0 || signed(j))
            .collect();
        let ridge = 1e-9 * oof.len() as f64;
        let sub: Vec<Vec<f64>> = free
            .iter()
            .map(|&j| {
                free.iter()
                    .map(|&l| {
                        if j == l {
                            hess[j][j] + ridge
                        } else {
                            hess[j.min(l)][j.max(l)]
                        }
                    })
                    .collect()
            })
            .collect();
        let rhs: Vec<f64> = free.iter().map(|&j| grad[j]).collect();
        let Some(step) = solve(sub, rhs) else { break };
        let mut t = 1.0;
        let mut improved = false;
        while t > 1e-4 {
            let mut cand = a.clone();
            for (&j, &d) in free.iter().zip(&step) {
                let next = a[j] - t * d;
                cand[j] = if signed(j) { next } else { next.max(0.0) };
            }
            let value = oof.nll(&cand);
            if value < current {
                improved = current - value > 1e-9;
                a = cand;
                current = value;
                break;
            }
            t *= 0.5;
        }
        if !improved {
            break;
        }
    }
    a
}

/// Solves the small dense system `m·x = b` by Gaussian elimination with partial pivoting.
fn solve(mut m: Vec<Vec<f64>>, mut b: Vec<f64>) -> Option<Vec<f64>> {
    let n = b.len();
    for col in 0..n {
        let pivot = (col..n).max_by(|&r, &s| m[r][col].abs().total_cmp(&m[s][col].abs()))?;
        if m[pivot][col].abs() < 1e-300 {
            return None;
        }
        m.swap(col, pivot);
        b.swap(col, pivot);
        for r in col + 1..n {
            let f = m[r][col] / m[col][col];
            let (upper, lower) = m.split_at_mut(r);
            for (x, &p) in lower[0][col..].iter_mut().zip(&upper[col][col..]) {
                *x -= f * p;
            }
            b[r] -= f * b[col];
        }
    }
    let mut x = vec![0.0; n];
    for r in (0..n).rev() {
        let s: f64 = (r + 1..n).map(|c| m[r][c] * x[c]).sum();
        x[r] = (b[r] - s) / m[r][r];
    }
    Some(x)
}

/// Expected calibration error of the top answer: the mean |confidence − accuracy| over equal-width
/// confidence bins, weighted by how many answers fall in each.
pub fn expected_calibration_error(scored: &[(f32, bool)], bins: usize) -> f64 {
    if scored.is_empty() {
        return 0.0;
    }
    let mut conf = vec![0.0f64; bins];
    let mut hits = vec![0.0f64; bins];
    let mut count = vec![0usize; bins];
    for &(c, ok) in scored {
        let b = ((f64::from(c) * bins as f64) as usize).min(bins - 1);
        conf[b] += f64::from(c);
        hits[b] += f64::from(u8::from(ok));
        count[b] += 1;
    }
    let total: f64 = (0..bins).map(|b| (conf[b] - hits[b]).abs()).sum();
    total / scored.len() as f64
}

/// An abstention threshold with what it achieved on the pairs it was measured on.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
pub struct ThresholdChoice {
    /// Answer when the confidence is at least this; abstain (clarify or hand off) below it.
    pub threshold: f32,
    /// Share of messages answered.
    pub coverage: f64,
    /// Share of the answered messages that were answered wrongly.
    pub wrong_rate: f64,
}

impl ThresholdChoice {
    /// What `threshold` achieves on `scored`.
    pub fn measure(threshold: f32, scored: &[(f32, bool)]) -> ThresholdChoice {
        let answered = scored.iter().filter(|&&(c, _)| c >= threshold);
        let (n, wrong) = answered.fold((0usize, 0usize), |(n, w), &(_, ok)| {
            (n + 1, w + usize::from(!ok))
        });
        ThresholdChoice {
            threshold,
            coverage: ratio(n, scored.len()),
            wrong_rate: ratio(wrong, n),
        }
    }
}

fn ratio(a: usize, b: usize) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// Chooses the smallest confidence threshold whose wrong-answer rate on `(confidence, correct)`
/// pairs is ≤ `target`; answers below it are abstentions (clarify/handoff). Returns the
/// threshold with the coverage and wrong rate it achieves on `scored`.
///
/// The wrong rate is the share of *answered* messages that are wrong (the selective risk). The
/// smallest qualifying threshold gives the largest coverage. When no threshold qualifies, the
/// threshold is just above the highest confidence, so nothing is answered.
pub fn threshold_for_wrong_rate(scored: &[(f32, bool)], target: f64) -> ThresholdChoice {
    threshold_with_margin(scored, target, 0.0)
}

/// [`threshold_for_wrong_rate`] with one standard error to spare: a threshold qualifies when
/// its wrong answers stay below the target by one binomial standard deviation,
/// `wrong + √(n·target·(1 − target)) ≤ target·n` for `n` answers.
///
/// The wrong rate measured on `scored` is an estimate, and the smallest threshold that meets
/// the target on it is an optimistic pick: where the curve hovers around the target, the lowest
/// crossing is usually a lucky dip. The margin makes the target hold on new messages too
/// (the idea of Geifman & El-Yaniv's selection with guaranteed risk, 2017, at about 84 %
/// confidence). It shrinks as `1/√n`, so large training sets give up little coverage, and a
/// small one abstains more, as its estimate deserves.
pub fn confident_threshold_for_wrong_rate(scored: &[(f32, bool)], target: f64) -> ThresholdChoice {
    threshold_with_margin(scored, target, 1.0)
}

fn threshold_with_margin(scored: &[(f32, bool)], target: f64, z: f64) -> ThresholdChoice {
    let spread = target * (1.0 - target);
    let mut sorted: Vec<(f32, bool)> = scored.to_vec();
    sorted.sort_unstable_by(|a, b| b.0.total_cmp(&a.0));
    let top = sorted.first().map_or(1.0, |p| p.0);
    let mut best = ThresholdChoice {
        threshold: top.next_up(),
        coverage: 0.0,
        wrong_rate: 0.0,
    };
    let (mut n, mut wrong) = (0usize, 0usize);
    let mut i = 0;
    while i < sorted.len() {
        // A threshold cannot split equal confidences, so take each run of ties whole.
        let c = sorted[i].0;
        while i < sorted.len() && sorted[i].0 == c {
            n += 1;
            wrong += usize::from(!sorted[i].1);
            i += 1;
        }
        if wrong as f64 + z * (n as f64 * spread).sqrt() <= target * n as f64 {
            best = ThresholdChoice {
                threshold: c,
                coverage: ratio(n, sorted.len()),
                wrong_rate: ratio(wrong, n),
            };
        }
    }
    best
}

/// The smallest confidence threshold that refuses at least `target` of the messages whose
/// answer confidences are `answers` (0 for a message the model already calls out-of-scope), that
/// is, at least that share of them fall below it. 0 when no threshold is needed.
pub fn threshold_for_catch_rate(answers: &[f32], target: f64) -> f32 {
    let mut sorted = answers.to_vec();
    sorted.sort_unstable_by(f32::total_cmp);
    let needed = (target * sorted.len() as f64).ceil() as usize;
    match needed.checked_sub(1).and_then(|i| sorted.get(i)) {
        Some(&c) if c > 0.0 => c.next_up(),
        _ => 0.0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn check_threshold(scored: &[(f32, bool)], target: f64, expected: (f32, f64, f64)) {
        let got = threshold_for_wrong_rate(scored, target);
        let want = ThresholdChoice {
            threshold: expected.0,
            coverage: expected.1,
            wrong_rate: expected.2,
        };
        assert_eq!(got, want, "threshold_for_wrong_rate({scored:?}, {target})");
    }

    #[test]
    fn threshold_choice() {
        let pairs = [
            (0.95, true),
            (0.9, true),
            (0.8, false),
            (0.7, true),
            (0.6, true),
            (0.3, false),
        ];
        // Everything answered: 2 wrong of 6.
        check_threshold(&pairs, 0.5, (0.3, 1.0, 2.0 / 6.0));
        // Without the 0.3 answer: 1 of 5 wrong.
        check_threshold(&pairs, 0.2, (0.6, 5.0 / 6.0, 0.2));
        // Only the two answers above the first mistake are clean.
        check_threshold(&pairs, 0.0, (0.9, 2.0 / 6.0, 0.0));
        // Nothing qualifies: nothing answered.
        check_threshold(&[(0.9, false)], 0.1, (0.9f32.next_up(), 0.0, 0.0));
        check_threshold(&[], 0.1, (1.0f32.next_up(), 0.0, 0.0));
        // Ties are never split.
        check_threshold(
            &[(0.8, true), (0.8, false), (0.5, true)],
            0.4,
            (0.5, 1.0, 1.0 / 3.0),
        );
        check_threshold(
            &[(0.8, true), (0.8, false), (0.5, true)],
            0.3,
            (0.8f32.next_up(), 0.0, 0.0),
        );
    }

    #[test]
    fn confident_threshold_keeps_a_margin() {
        // 1,000 answers with falling confidence: 5 % wrong in the upper half, 15 % in the
        // lower, so 10 % wrong when everything is answered.
        let pairs: Vec<(f32, bool)> = (0..1000)
            .map(|i| {
                let wrong = if i < 500 { i % 20 == 19 } else { i % 20 >= 17 };
                (1.0 - i as f32 / 1000.0, !wrong)
            })
            .collect();
        let plain = threshold_for_wrong_rate(&pairs, 0.1);
        let confident = confident_threshold_for_wrong_rate(&pairs, 0.1);
        assert_eq!((plain.coverage, plain.wrong_rate), (1.0, 0.1));
        assert!(confident.threshold > plain.threshold, "{confident:?}");
        assert!((0.5..1.0).contains(&confident.coverage), "{confident:?}");
        // The rate it keeps is one standard error, √(0.09/n), below the target.
        let n = confident.coverage * 1000.0;
        assert!(
            confident.wrong_rate <= 0.1 - (0.09 / n).sqrt() + 1e-9,
            "{confident:?}"
        );
        // A zero target leaves no room for a margin either way.
        assert_eq!(
            confident_threshold_for_wrong_rate(&pairs, 0.0),
            threshold_for_wrong_rate(&pairs, 0.0)
        );
    }

    #[test]
    fn catch_rate_threshold() {
        // Two of five already refused (confidence 0); catching 60 % needs one more.
        let answers = [0.0, 0.9, 0.0, 0.3, 0.5];
        assert_eq!(threshold_for_catch_rate(&answers, 0.6), 0.3f32.next_up());
        assert_eq!(threshold_for_catch_rate(&answers, 0.4), 0.0);
        assert_eq!(threshold_for_catch_rate(&answers, 0.0), 0.0);
        assert_eq!(threshold_for_catch_rate(&answers, 1.0), 0.9f32.next_up());
        assert_eq!(threshold_for_catch_rate(&[], 0.8), 0.0);
    }

    #[test]
    fn measure_matches_choice() {
        let pairs = [(0.95, true), (0.9, true), (0.8, false), (0.7, true)];
        let chosen = threshold_for_wrong_rate(&pairs, 0.3);
        assert_eq!(ThresholdChoice::measure(chosen.threshold, &pairs), chosen);
    }

    #[test]
    fn ece_of_perfect_and_overconfident_answers() {
        let calibrated: Vec<(f32, bool)> = (0..10).map(|i| (0.75, i % 4 != 0)).collect();
        assert!(expected_calibration_error(&calibrated, 10) < 0.06);
        let overconfident: Vec<(f32, bool)> = (0..10).map(|i| (0.99, i % 2 == 0)).collect();
        assert!((expected_calibration_error(&overconfident, 10) - 0.49).abs() < 1e-6);
    }

    #[test]
    fn blend_fit_recovers_a_temperature() {
        // Scores that are 4× too small: the fitted `a` must sharpen them.
        let mut oof = OofScores {
            n_classes: 2,
            scores: vec![Vec::new()],
            ..OofScores::default()
        };
        for i in 0..400 {
            let y = (i % 2) as u32;
            // The true class wins by 0.25 in raw score; correct 80 % of the time.
            let margin = if i % 5 == 0 { -0.25 } else { 0.25 };
            let (z0, z1) = if y == 0 { (margin, 0.0) } else { (0.0, margin) };
            oof.scores[0].extend([z0, z1]);
            oof.labels.push(y);
        }
        // A second learner that is pure noise must get no weight.
        oof.scores
            .push((0..800).map(|i| ((i * 7919) % 13) as f32 - 6.0).collect());
        let a = fit_blend(&oof);
        // p(correct) = σ(0.25·a) should be 0.8: a = 4·ln 4 ≈ 5.55.
        assert!((a[0] - 4.0 * 4f64.ln()).abs() < 0.05, "a = {a:?}");
        assert!(a[1] < 0.02, "a = {a:?}");
        assert!(oof.nll(&a) < oof.nll(&[1.0, 0.0]));
    }
}
