//! Linear multi-class models on sparse rows and the learners that train them:
//!
//! * multinomial logistic regression by SGD: smooth, gives probability-like scores;
//! * the same loss with the weight matrix factored into two low-rank factors, each L2-penalised
//!   (a trace-norm penalty): the classes share directions in feature space;
//! * one-vs-rest L2-loss (squared hinge) SVM by dual coordinate descent (the LIBLINEAR `-s 1`
//!   algorithm): a different inductive bias whose margins complement the logistic scores;
//! * two closed-form learners that cost one pass over the data: the class centroid (Rocchio)
//!   and complement naive Bayes. Weak alone, they disagree with the discriminative models in
//!   useful ways, and the calibration decides how much they count.
//!
//! Weights are stored feature-major (`weights[feature * n_classes + class]`), so scoring a
//! message touches one contiguous row per active feature and the inner loop vectorises.

use rand::SeedableRng;
use rand::rngs::StdRng;
use rand::seq::SliceRandom;

use super::features::SparseVec;

/// Rows in compressed sparse row form.
#[derive(Debug, Clone, Default)]
pub struct Csr {
    indptr: Vec<usize>,
    indices: Vec<u32>,
    values: Vec<f32>,
}

impl Csr {
    pub fn from_rows<'a>(rows: impl IntoIterator<Item = &'a SparseVec>) -> Csr {
        let mut m = Csr {
            indptr: vec![0],
            ..Csr::default()
        };
        for row in rows {
            m.push(row);
        }
        m
    }

    pub fn push(&mut self, row: &[(u32, f32)]) {
        for &(c, v) in row {
            self.indices.push(c);
            self.values.push(v);
        }
        self.indptr.push(self.indices.len());
    }

    pub fn n_rows(&self) -> usize {
        self.indptr.len() - 1
    }

    pub fn row(&self, i: usize) -> (&[u32], &[f32]) {
        let (a, b) = (self.indptr[i], self.indptr[i + 1]);
        (&self.indices[a..b], &self.values[a..b])
    }
}

/// `scores = W·x + b` for every class.
#[derive(Debug, Clone)]
pub struct LinearModel {
    n_classes: usize,
    weights: Vec<f32>,
    bias: Vec<f32>,
}

impl LinearModel {
    pub fn zeros(n_features: usize, n_classes: usize) -> LinearModel {
        LinearModel {
            n_classes,
            weights: vec![0.0; n_features * n_classes],
            bias: vec![0.0; n_classes],
        }
    }

    pub fn n_classes(&self) -> usize {
        self.n_classes
    }

    pub fn scores_into(&self, indices: &[u32], values: &[f32], out: &mut [f32]) {
        out.copy_from_slice(&self.bias);
        let k = self.n_classes;
        for (&f, &v) in indices.iter().zip(values) {
            let row = &self.weights[f as usize * k..(f as usize + 1) * k];
            for (o, &w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
    }

    pub fn scores(&self, x: &[(u32, f32)]) -> Vec<f32> {
        let (indices, values): (Vec<u32>, Vec<f32>) = x.iter().copied().unzip();
        let mut out = vec![0.0; self.n_classes];
        self.scores_into(&indices, &values, &mut out);
        out
    }

    /// `Σ weights[j]·models[j]`: an ensemble of linear models is again one linear model, so the
    /// shipped classifier costs one matrix however many learners trained it.
    pub fn weighted_sum(models: &[LinearModel], weights: &[f64]) -> LinearModel {
        let first = &models[0];
        let mut out = LinearModel::zeros(
            first.weights.len() / first.n_classes.max(1),
            first.n_classes,
        );
        for (m, &a) in models.iter().zip(weights) {
            let a = a as f32;
            if a == 0.0 {
                continue;
            }
            for (o, &w) in out.weights.iter_mut().zip(&m.weights) {
                *o += a * w;
            }
            for (o, &b) in out.bias.iter_mut().zip(&m.bias) {
                *o += a * b;
            }
        }
        out
    }

    /// Memory taken by the parameters.
    pub fn size_bytes(&self) -> usize {
        (self.weights.len() + self.bias.len()) * std::mem::size_of::<f32>()
    }
}

/// Multinomial logistic regression minimising `mean(weight·log-loss) + l2/2·‖W‖²` by SGD with a
/// linearly decaying step. Inputs are unit-norm, so a step of 1 is stable from the start and
/// no step-size search is needed.
pub fn train_logreg(
    x: &Csr,
    y: &[u32],
    n_features: usize,
    n_classes: usize,
    l2: f64,
    epochs: usize,
    seed: u64,
    example_weights: &[f32],
) -> LinearModel {
    let mut model = LinearModel::zeros(n_features, n_classes);
    let n = x.n_rows();
    if n == 0 {
        return model;
    }
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    // W = scale · V: the L2 shrink of every weight becomes one multiplication per step.
    let mut scale = 1.0f64;
    let total = (epochs * n) as f64;
    let eta0 = 1.0f64;
    let mut step = 0usize;
    let mut z = vec![0.0f32; n_classes];
    for _ in 0..epochs {
        order.shuffle(&mut rng);
        for &i in &order {
            let eta = eta0 * (1.0 - step as f64 / total).max(1e-3);
            step += 1;
            let (idx, val) = x.row(i);
            model.scores_into_scaled(idx, val, scale as f32, &mut z);
            softmax_in_place(&mut z);
            z[y[i] as usize] -= 1.0;
            if let Some(&w) = example_weights.get(i) {
                for d in z.iter_mut() {
                    *d *= w;
                }
            }
            scale *= 1.0 - eta * l2;
            let g = (eta / scale) as f32;
            let k = n_classes;
            for (&f, &v) in idx.iter().zip(val) {
                let row = &mut model.weights[f as usize * k..(f as usize + 1) * k];
                let gv = g * v;
                for (w, &d) in row.iter_mut().zip(z.iter()) {
                    *w -= gv * d;
                }
            }
            for (b, &d) in model.bias.iter_mut().zip(z.iter()) {
                *b -= eta as f32 * d;
            }
            if scale < 1e-6 {
                model.rescale_weights(scale as f32);
                scale = 1.0;
            }
        }
    }
    model.rescale_weights(scale as f32);
    model
}

/// Multinomial logistic regression with the weight matrix factored as `W = U·V` (`U` is
/// `n_features × rank`, `V` is `rank × n_classes`), trained by SGD on
/// `mean(weight·log-loss) + l2/2·(‖U‖² + ‖V‖²)` and returned folded into one [`LinearModel`].
///
/// L2 on both factors is a trace-norm penalty on `W` (Srebro et al. 2005): instead of every
/// class keeping its own independent weights, the classes are pushed to share a few directions
/// in feature space (like fastText's bottleneck). A rare intent then borrows the
/// words its neighbours taught the model; on small, imbalanced sets with many classes this
/// beats the plain logistic regression. The problem is not convex, so the result depends on
/// the seed, a little.
///
/// Rows of `U` are shrunk when their feature occurs, as sparse SGD implementations do; `V`,
/// which every message uses, at every step. The step decays linearly like
/// [`train_logreg`]'s.
pub fn train_lowrank(
    x: &Csr,
    y: &[u32],
    n_features: usize,
    n_classes: usize,
    rank: usize,
    l2: f64,
    epochs: usize,
    step0: f64,
    seed: u64,
    example_weights: &[f32],
) -> LinearModel {
    use rand::Rng;
    let (k, r, n) = (n_classes, rank.max(1), x.n_rows());
    let mut rng = StdRng::seed_from_u64(seed);
    // V starts at zero, so the first steps fit V to the random projection U and the two then
    // improve together.
    let bound = 1.0 / (r as f32).sqrt();
    let mut u: Vec<f32> = (0..n_features * r)
        .map(|_| rng.gen_range(-bound..bound))
        .collect();
    let mut v = vec![0.0f32; r * k];
    let mut bias = vec![0.0f32; k];
    let mut order: Vec<usize> = (0..n).collect();
    let total = (epochs * n).max(1) as f64;
    let mut t = 0usize;
    let (mut h, mut gh, mut z) = (vec![0.0f32; r], vec![0.0f32; r], vec![0.0f32; k]);
    for _ in 0..epochs {
        order.shuffle(&mut rng);
        for &i in &order {
            let eta = (step0 * (1.0 - t as f64 / total).max(1e-3)) as f32;
            t += 1;
            let (idx, val) = x.row(i);
            h.fill(0.0);
            for (&f, &xv) in idx.iter().zip(val) {
                let row = &u[f as usize * r..(f as usize + 1) * r];
                for (hj, &w) in h.iter_mut().zip(row) {
                    *hj += xv * w;
                }
            }
            z.copy_from_slice(&bias);
            for (&hj, row) in h.iter().zip(v.chunks_exact(k)) {
                for (zc, &w) in z.iter_mut().zip(row) {
                    *zc += hj * w;
                }
            }
            softmax_in_place(&mut z);
            z[y[i] as usize] -= 1.0;
            let weight = example_weights.get(i).copied().unwrap_or(1.0);
            for d in z.iter_mut() {
                *d *= weight;
            }
            // Gradient with respect to the hidden vector, before V moves.
            for (g, row) in gh.iter_mut().zip(v.chunks_exact(k)) {
                *g = row.iter().zip(&z).map(|(&w, &d)| w * d).sum();
            }
            let shrink = 1.0 - eta * l2 as f32;
            for (&hj, row) in h.iter().zip(v.chunks_exact_mut(k)) {
                let a = eta * hj;
                for (w, &d) in row.iter_mut().zip(&z) {
                    *w = *w * shrink - a * d;
                }
            }
            for (b, &d) in bias.iter_mut().zip(&z) {
                *b -= eta * d;
            }
            for (&f, &xv) in idx.iter().zip(val) {
                let row = &mut u[f as usize * r..(f as usize + 1) * r];
                let a = eta * xv;
                for (w, &g) in row.iter_mut().zip(&gh) {
                    *w = *w * shrink - a * g;
                }
            }
        }
    }
    let mut model = LinearModel::zeros(n_features, k);
    for (out, urow) in model.weights.chunks_exact_mut(k).zip(u.chunks_exact(r)) {
        for (&uj, vrow) in urow.iter().zip(v.chunks_exact(k)) {
            for (o, &w) in out.iter_mut().zip(vrow) {
                *o += uj * w;
            }
        }
    }
    model.bias = bias;
    model
}

impl LinearModel {
    fn scores_into_scaled(&self, indices: &[u32], values: &[f32], scale: f32, out: &mut [f32]) {
        out.fill(0.0);
        let k = self.n_classes;
        for (&f, &v) in indices.iter().zip(values) {
            let row = &self.weights[f as usize * k..(f as usize + 1) * k];
            for (o, &w) in out.iter_mut().zip(row) {
                *o += v * w;
            }
        }
        for (o, &b) in out.iter_mut().zip(&self.bias) {
            *o = *o * scale + b;
        }
    }

    fn rescale_weights(&mut self, scale: f32) {
        for w in &mut self.weights {
            *w *= scale;
        }
    }
}

/// One-vs-rest L2-regularised squared-hinge SVM, `min ½‖w‖² + C·Σ max(0, 1 − y·w·x)²` per
/// class, solved in the dual by coordinate descent. All classes are visited for a message in
/// one go, so each pass reads the data once. The bias is an extra constant feature (value 1)
/// and is regularised like the rest, as in LIBLINEAR.
///
/// `example_weights` (empty for all ones) multiply `C` per message, which is how class
/// balancing enters. With `scale` (feature-major like the weights), class `c` is trained on
/// the features `x ⊙ scale[·, c]` instead of `x`: the NB-SVM of Wang & Manning (2012) when the
/// scale is the naive Bayes log-count ratio. The stored weights are `scale ⊙ w`, so the result
/// still scores raw features and folds into the ensemble like any other learner.
pub fn train_svm(
    x: &Csr,
    y: &[u32],
    n_features: usize,
    n_classes: usize,
    c: f64,
    max_epochs: usize,
    seed: u64,
    example_weights: &[f32],
    scale: Option<&[f32]>,
) -> LinearModel {
    let mut model = LinearModel::zeros(n_features, n_classes);
    let n = x.n_rows();
    let k = n_classes;
    let mut alpha = vec![0.0f32; n * k];
    let mut rng = StdRng::seed_from_u64(seed);
    let mut order: Vec<usize> = (0..n).collect();
    let mut s = vec![0.0f32; k];
    let mut q = vec![0.0f32; k];
    let mut delta: Vec<(usize, f32)> = Vec::with_capacity(k);
    for _ in 0..max_epochs {
        order.shuffle(&mut rng);
        let mut max_pg = 0.0f32;
        for &i in &order {
            let (idx, val) = x.row(i);
            let weight = example_weights.get(i).copied().unwrap_or(1.0);
            let diag = (0.5 / (c * f64::from(weight))) as f32;
            match scale {
                None => q.fill(val.iter().map(|v| v * v).sum::<f32>() + 1.0 + diag),
                Some(r) => {
                    q.fill(1.0 + diag);
                    for (&f, &v) in idx.iter().zip(val) {
                        let row = &r[f as usize * k..(f as usize + 1) * k];
                        for (qc, &rc) in q.iter_mut().zip(row) {
                            let t = v * rc;
                            *qc += t * t;
                        }
                    }
                }
            }
            model.scores_into(idx, val, &mut s);
            delta.clear();
            let a = &mut alpha[i * k..(i + 1) * k];
            for (cls, (&score, a)) in s.iter().zip(a.iter_mut()).enumerate() {
                let yc = if cls == y[i] as usize { 1.0 } else { -1.0 };
                let g = yc * score - 1.0 + *a * diag;
                let pg = if *a == 0.0 { g.min(0.0) } else { g };
                max_pg = max_pg.max(pg.abs());
                if pg != 0.0 {
                    let new = (*a - g / q[cls]).max(0.0);
                    let d = (new - *a) * yc;
                    *a = new;
                    if d != 0.0 {
                        delta.push((cls, d));
                    }
                }
            }
            if delta.is_empty() {
                continue;
            }
            for (&f, &v) in idx.iter().zip(val) {
                let at = f as usize * k;
                let row = &mut model.weights[at..at + k];
                match scale {
                    None => {
                        for &(cls, d) in &delta {
                            row[cls] += d * v;
                        }
                    }
                    Some(r) => {
                        let r = &r[at..at + k];
                        for &(cls, d) in &delta {
                            row[cls] += d * v * r[cls] * r[cls];
                        }
                    }
                }
            }
            for &(cls, d) in &delta {
                model.bias[cls] += d;
            }
        }
        // LIBLINEAR's default tolerance is on the same projected-gradient scale.
        if max_pg < 0.1 {
            break;
        }
    }
    model
}

/// The naive Bayes log-count ratio of every feature for every class against the rest,
/// `ln((p_c/‖p_c‖₁) / (q_c/‖q_c‖₁))` with `p_c` (`q_c`) the smoothed number of messages in (out
/// of) class `c` that have the feature, feature-major. Wang & Manning's NB-SVM scales features
/// by it, so that words typical of a class are cheaper for that class's SVM to use.
pub fn nb_log_count_ratio(
    x: &Csr,
    y: &[u32],
    n_features: usize,
    n_classes: usize,
    alpha: f64,
) -> Vec<f32> {
    let k = n_classes;
    let mut per_class = vec![0.0f64; n_features * k];
    let mut per_feature = vec![0.0f64; n_features];
    for (i, &cls) in y.iter().enumerate() {
        let (idx, _) = x.row(i);
        for &f in idx {
            per_class[f as usize * k + cls as usize] += 1.0;
            per_feature[f as usize] += 1.0;
        }
    }
    let mut in_total = vec![0.0f64; k];
    let mut out_total = vec![0.0f64; k];
    for (f, row) in per_class.chunks(k).enumerate() {
        for c in 0..k {
            in_total[c] += row[c] + alpha;
            out_total[c] += per_feature[f] - row[c] + alpha;
        }
    }
    let mut r = vec![0.0f32; n_features * k];
    for (f, row) in per_class.chunks(k).enumerate() {
        for c in 0..k {
            let p = (row[c] + alpha) / in_total[c];
            let q = (per_feature[f] - row[c] + alpha) / out_total[c];
            r[f * k + c] = (p / q).ln() as f32;
        }
    }
    r
}

/// Rocchio: each class scores by the cosine-like similarity to its unit-norm mean vector.
pub fn train_centroid(x: &Csr, y: &[u32], n_features: usize, n_classes: usize) -> LinearModel {
    let mut model = LinearModel::zeros(n_features, n_classes);
    let k = n_classes;
    for (i, &cls) in y.iter().enumerate() {
        let (idx, val) = x.row(i);
        for (&f, &v) in idx.iter().zip(val) {
            model.weights[f as usize * k + cls as usize] += v;
        }
    }
    let mut norms = vec![0.0f32; k];
    for row in model.weights.chunks(k) {
        for (n, &w) in norms.iter_mut().zip(row) {
            *n += w * w;
        }
    }
    for row in model.weights.chunks_mut(k) {
        for (w, &n) in row.iter_mut().zip(&norms) {
            if n > 0.0 {
                *w /= n.sqrt();
            }
        }
    }
    model
}

/// Complement naive Bayes (Rennie et al. 2003): a class scores high on features that are rare
/// *outside* it, which is robust when classes have few examples. Each feature's weights are
/// centred across classes; that changes no softmax but keeps the numbers small for blending.
pub fn train_complement_nb(
    x: &Csr,
    y: &[u32],
    n_features: usize,
    n_classes: usize,
    alpha: f64,
) -> LinearModel {
    let mut model = LinearModel::zeros(n_features, n_classes);
    let k = n_classes;
    let mut per_class = vec![0.0f64; n_features * k];
    let mut per_feature = vec![0.0f64; n_features];
    for (i, &cls) in y.iter().enumerate() {
        let (idx, val) = x.row(i);
        for (&f, &v) in idx.iter().zip(val) {
            per_class[f as usize * k + cls as usize] += f64::from(v);
            per_feature[f as usize] += f64::from(v);
        }
    }
    let mut complement_total = vec![0.0f64; k];
    for (f, row) in per_class.chunks(k).enumerate() {
        for (t, &c) in complement_total.iter_mut().zip(row) {
            *t += per_feature[f] - c + alpha;
        }
    }
    for (f, row) in per_class.chunks(k).enumerate() {
        let out = &mut model.weights[f * k..(f + 1) * k];
        for ((o, &c), &total) in out.iter_mut().zip(row).zip(&complement_total) {
            *o = -((per_feature[f] - c + alpha) / total).ln() as f32;
        }
        let mean = out.iter().sum::<f32>() / k as f32;
        for o in out.iter_mut() {
            *o -= mean;
        }
    }
    model
}

/// Numerically stable softmax.
pub fn softmax_in_place(z: &mut [f32]) {
    let max = z.iter().copied().fold(f32::NEG_INFINITY, f32::max);
    let mut sum = 0.0;
    for v in z.iter_mut() {
        *v = (*v - max).exp();
        sum += *v;
    }
    for v in z.iter_mut() {
        *v /= sum;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Three classes, each owning one feature, plus a shared noise feature.
    fn toy() -> (Csr, Vec<u32>) {
        let mut rows = Vec::new();
        let mut y = Vec::new();
        for rep in 0..20u32 {
            for cls in 0..3u32 {
                let noise = 0.3 * ((rep % 3) as f32);
                rows.push(vec![(cls, 1.0), (3, noise)]);
                y.push(cls);
            }
        }
        (Csr::from_rows(&rows), y)
    }

    fn check_separates(model: &LinearModel) {
        for cls in 0..3u32 {
            let s = model.scores(&[(cls, 1.0)]);
            let best = (0..3).max_by(|&a, &b| s[a].total_cmp(&s[b])).unwrap();
            assert_eq!(best, cls as usize, "scores {s:?}");
        }
    }

    #[test]
    fn both_learners_separate_a_trivial_problem() {
        let (x, y) = toy();
        check_separates(&train_logreg(&x, &y, 4, 3, 1e-3, 10, 7, &[]));
        check_separates(&train_lowrank(&x, &y, 4, 3, 2, 1e-3, 10, 0.2, 7, &[]));
        check_separates(&train_svm(&x, &y, 4, 3, 1.0, 20, 7, &[], None));
        let r = nb_log_count_ratio(&x, &y, 4, 3, 1.0);
        check_separates(&train_svm(&x, &y, 4, 3, 1.0, 20, 7, &[], Some(&r)));
        check_separates(&train_centroid(&x, &y, 4, 3));
        check_separates(&train_complement_nb(&x, &y, 4, 3, 0.1));
    }

    #[test]
    fn blend_is_linear() {
        let (x, y) = toy();
        let lr = train_logreg(&x, &y, 4, 3, 1e-3, 5, 1, &[]);
        let svm = train_svm(&x, &y, 4, 3, 1.0, 5, 1, &[], None);
        let both = LinearModel::weighted_sum(&[lr.clone(), svm.clone()], &[2.0, 0.5]);
        let row = [(1u32, 0.8f32), (3, 0.6)];
        let (a, b, ab) = (lr.scores(&row), svm.scores(&row), both.scores(&row));
        for c in 0..3 {
            assert!((2.0 * a[c] + 0.5 * b[c] - ab[c]).abs() < 1e-4);
        }
    }

    #[test]
    fn softmax_sums_to_one() {
        let mut z = vec![1000.0, 999.0, -5.0];
        softmax_in_place(&mut z);
        assert!((z.iter().sum::<f32>() - 1.0).abs() < 1e-6);
        assert!(z[0] > z[1] && z[1] > z[2]);
    }
}
