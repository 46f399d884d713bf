//! The sentence embedding as classifier evidence, beside the TF-IDF features of [`super::features`].
//!
//! Two uses, both fitted on the training examples only:
//! - [`DenseBlock`] appends the embedding to the sparse TF-IDF row as extra columns, so the
//!   linear learners weigh words and meaning in one model. e5's vectors share a large common
//!   component (cosines of unrelated texts sit around 0.75), which a linear model would have to
//!   spend its bias on; subtracting the training examples' mean and re-normalising leaves what
//!   tells texts apart. The two blocks are scaled so that the row stays unit-norm, the property
//!   the learners' step sizes rely on.
//! - [`EmbeddingIndex`] keeps the (centred) embeddings of the examples for nearest-neighbour
//!   evidence: per intent, how close the message comes to its closest example, and for
//!   out-of-scope detection, how close it comes to any in-scope example at all (a message far
//!   from everything the bot was taught is likely about something else: kNN density).

use super::embedding::{DIM, Embedding};
use super::features::SparseVec;

/// Centring and weighting of the embedding columns.
#[derive(Debug, Clone)]
pub struct DenseBlock {
    mean: Vec<f32>,
    /// The first column of the block: the sparse vocabulary's size.
    offset: u32,
    /// Multipliers of the TF-IDF block and of the embedding block (`sparse² + dense² = 1`).
    sparse_scale: f32,
    dense_scale: f32,
}

impl DenseBlock {
    /// Fits the centring on `embeddings` (the training examples'); the block follows the
    /// `n_sparse` TF-IDF columns and weighs `weight` relative to them.
    pub fn fit(embeddings: &[&Embedding], n_sparse: usize, weight: f32) -> DenseBlock {
        let norm = (1.0 + weight * weight).sqrt();
        DenseBlock {
            mean: mean(embeddings),
            offset: n_sparse as u32,
            sparse_scale: 1.0 / norm,
            dense_scale: weight / norm,
        }
    }

    /// Columns the block adds.
    pub const fn width() -> usize {
        DIM
    }

    /// `sparse` with the embedding appended (columns stay sorted: the block comes after every
    /// vocabulary column).
    pub fn extend(&self, mut sparse: SparseVec, embedding: &Embedding) -> SparseVec {
        for (_, v) in &mut sparse {
            *v *= self.sparse_scale;
        }
        let centred = centre(embedding, &self.mean);
        sparse.extend(
            centred
                .iter()
                .enumerate()
                .map(|(j, &v)| (self.offset + j as u32, v * self.dense_scale)),
        );
        sparse
    }

    pub fn mean(&self) -> &[f32] {
        &self.mean
    }
}

/// The mean of `embeddings` (zeros for none).
pub fn mean(embeddings: &[&Embedding]) -> Vec<f32> {
    let mut m = vec![0.0f32; DIM];
    for e in embeddings {
        for (a, &x) in m.iter_mut().zip(e.iter()) {
            *a += x;
        }
    }
    let n = embeddings.len().max(1) as f32;
    for a in &mut m {
        *a /= n;
    }
    m
}

/// `e − mean`, scaled to unit length.
pub fn centre(e: &Embedding, mean: &[f32]) -> [f32; DIM] {
    let mut c = [0.0f32; DIM];
    for ((c, &x), &m) in c.iter_mut().zip(e.iter()).zip(mean) {
        *c = x - m;
    }
    super::embedding::normalise(&mut c);
    c
}

/// The training examples' centred embeddings, for nearest-neighbour scores.
#[derive(Debug, Clone)]
pub struct EmbeddingIndex {
    n_classes: usize,
    mean: Vec<f32>,
    /// Row-major `n × DIM`.
    rows: Vec<f32>,
    labels: Vec<u32>,
    /// The out-of-scope class: its examples do not count as "near something known".
    oos: Option<u32>,
}

/// What the index says about one message.
#[derive(Debug, Clone, PartialEq)]
pub struct NeighborEvidence {
    /// Per class, the cosine to its closest example (−1 for a class without examples).
    pub per_class: Vec<f32>,
    /// The cosine to the closest in-scope example.
    pub nearest_known: f32,
}

impl EmbeddingIndex {
    pub fn build(
        embeddings: &[&Embedding],
        labels: &[u32],
        n_classes: usize,
        oos: Option<u32>,
    ) -> EmbeddingIndex {
        let mean = mean(embeddings);
        let mut rows = Vec::with_capacity(embeddings.len() * DIM);
        for e in embeddings {
            rows.extend_from_slice(&centre(e, &mean));
        }
        EmbeddingIndex {
            n_classes,
            mean,
            rows,
            labels: labels.to_vec(),
            oos,
        }
    }

    /// Brute force: a bot has hundreds of examples, a benchmark ten thousand, and a dot product
    /// with each costs less than the embedding itself did.
    pub fn evidence(&self, embedding: &Embedding) -> NeighborEvidence {
        let q = centre(embedding, &self.mean);
        let mut per_class = vec![-1.0f32; self.n_classes];
        let mut nearest_known = -1.0f32;
        for (row, &label) in self.rows.chunks_exact(DIM).zip(&self.labels) {
            let s = super::embedding::dot(row, &q);
            let best = &mut per_class[label as usize];
            if s > *best {
                *best = s;
            }
            if Some(label) != self.oos && s > nearest_known {
                nearest_known = s;
            }
        }
        NeighborEvidence {
            per_class,
            nearest_known,
        }
    }

    /// Memory taken by the index.
    pub fn size_bytes(&self) -> usize {
        (self.rows.len() + self.mean.len()) * 4 + self.labels.len() * 4
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn unit(dirs: &[(usize, f32)]) -> Embedding {
        let mut e = [0.0f32; DIM];
        for &(i, v) in dirs {
            e[i] = v;
        }
        super::super::embedding::normalise(&mut e);
        e
    }

    #[test]
    fn the_block_keeps_rows_unit_norm_and_columns_sorted() {
        // Two examples sharing a big common direction (0) that centring takes out.
        let (a, b) = (unit(&[(0, 3.0), (1, 1.0)]), unit(&[(0, 3.0), (2, 1.0)]));
        let block = DenseBlock::fit(&[&a, &b], 10, 1.0);
        let row = block.extend(vec![(3, 0.6), (7, 0.8)], &a);
        let norm: f32 = row.iter().map(|(_, v)| v * v).sum();
        assert!((norm - 1.0).abs() < 1e-5, "{norm}");
        assert!(row.windows(2).all(|w| w[0].0 < w[1].0));
        assert_eq!(row.len(), 2 + DIM);
        // Centred, the two examples point in opposite directions: column 0 is gone.
        let c = centre(&a, block.mean());
        assert!(
            c[0].abs() < 1e-6 && c[1] > 0.7 && c[2] < -0.7,
            "{:?}",
            &c[..3]
        );
    }

    #[test]
    fn neighbours_per_class_and_nearest_known() {
        let examples = [
            unit(&[(0, 1.0)]),
            unit(&[(0, 1.0), (1, 0.2)]),
            unit(&[(1, 1.0)]),
            unit(&[(2, 1.0)]),
        ];
        let refs: Vec<&Embedding> = examples.iter().collect();
        // Class 2 is out-of-scope.
        let index = EmbeddingIndex::build(&refs, &[0, 0, 1, 2], 3, Some(2));
        let near_zero = index.evidence(&unit(&[(0, 1.0), (1, 0.1)]));
        assert!(near_zero.per_class[0] > near_zero.per_class[1]);
        assert!(near_zero.per_class[0] > 0.9);
        // Right on the out-of-scope example: near class 2, not near anything known.
        let far = index.evidence(&unit(&[(2, 1.0)]));
        assert!(far.per_class[2] > 0.99);
        assert!(far.nearest_known < 0.5, "{far:?}");
    }
}
