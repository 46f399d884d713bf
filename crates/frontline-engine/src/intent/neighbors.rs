//! Nearest-neighbour evidence: for each intent, how close the message comes to the closest
//! training message with that intent.
//!
//! Linear models summarise a class in one weight vector, which serves classes that are said in
//! many different ways (a smart-home "quirky" chat, a general "factoid" question) poorly. The
//! highest cosine similarity to a single training message does not average those ways away, and
//! it is a different kind of error from the linear learners', so the calibration finds it a
//! weight of its own. It is not linear in the features, so it is kept beside the folded
//! weight matrix, as an inverted index that only touches the messages sharing a term with the
//! query.

use super::features::SparseVec;
use super::linear::Csr;

/// Training messages indexed by feature.
#[derive(Debug, Clone, Default)]
pub struct NeighborIndex {
    n_classes: usize,
    labels: Vec<u32>,
    /// `rows[starts[f]..starts[f + 1]]` are the messages having feature `f`, with its value.
    starts: Vec<usize>,
    rows: Vec<u32>,
    values: Vec<f32>,
}

impl NeighborIndex {
    pub fn build(x: &Csr, y: &[u32], n_features: usize, n_classes: usize) -> NeighborIndex {
        let mut counts = vec![0usize; n_features + 1];
        for i in 0..x.n_rows() {
            for &f in x.row(i).0 {
                counts[f as usize + 1] += 1;
            }
        }
        for f in 0..n_features {
            counts[f + 1] += counts[f];
        }
        let starts = counts.clone();
        let mut next = counts;
        let total = starts[n_features];
        let (mut rows, mut values) = (vec![0u32; total], vec![0.0f32; total]);
        for i in 0..x.n_rows() {
            let (idx, val) = x.row(i);
            for (&f, &v) in idx.iter().zip(val) {
                let at = next[f as usize];
                rows[at] = i as u32;
                values[at] = v;
                next[f as usize] += 1;
            }
        }
        NeighborIndex {
            n_classes,
            labels: y.to_vec(),
            starts,
            rows,
            values,
        }
    }

    /// Per class, the highest cosine similarity of `x` to a training message of that class
    /// (0 when none shares a term).
    pub fn scores(&self, x: &SparseVec) -> Vec<f32> {
        let mut sims = vec![0.0f32; self.labels.len()];
        for &(f, v) in x {
            let (a, b) = (self.starts[f as usize], self.starts[f as usize + 1]);
            for (&row, &w) in self.rows[a..b].iter().zip(&self.values[a..b]) {
                sims[row as usize] += v * w;
            }
        }
        let mut out = vec![0.0f32; self.n_classes];
        for (&s, &label) in sims.iter().zip(&self.labels) {
            let best = &mut out[label as usize];
            if s > *best {
                *best = s;
            }
        }
        out
    }

    /// Memory taken by the index.
    pub fn size_bytes(&self) -> usize {
        self.labels.len() * 4 + self.starts.len() * 8 + self.rows.len() * 8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closest_message_per_class() {
        let rows: Vec<SparseVec> = vec![vec![(0, 1.0)], vec![(0, 0.6), (1, 0.8)], vec![(2, 1.0)]];
        let index = NeighborIndex::build(&Csr::from_rows(&rows), &[0, 0, 1], 3, 3);
        let s = index.scores(&vec![(1, 1.0)]);
        assert_eq!(s, vec![0.8, 0.0, 0.0]);
        let s = index.scores(&vec![(0, 0.6), (2, 0.8)]);
        assert_eq!(s, vec![0.6, 0.8, 0.0]);
    }
}
