//! Confusion matrices and per-class precision, recall and F1.

use mnist_data::N_CLASSES;

/// Counts of (true, predicted) pairs.
pub fn confusion(labels: &[u8], predictions: &[u8]) -> [[usize; N_CLASSES]; N_CLASSES] {
    let mut m = [[0; N_CLASSES]; N_CLASSES];
    for (&t, &p) in labels.iter().zip(predictions) {
        m[usize::from(t)][usize::from(p)] += 1;
    }
    m
}

/// Precision, recall, F1 and support of one class.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ClassScores {
    /// Of the images predicted as this class, the share that are.
    pub precision: f64,
    /// Of the images of this class, the share predicted as such.
    pub recall: f64,
    /// Harmonic mean of precision and recall.
    pub f1: f64,
    /// Images of this class.
    pub support: usize,
}

/// Per-class scores from a confusion matrix (0 where undefined).
pub fn class_scores(m: &[[usize; N_CLASSES]; N_CLASSES]) -> Vec<ClassScores> {
    (0..N_CLASSES)
        .map(|c| {
            let tp = m[c][c] as f64;
            let predicted: usize = (0..N_CLASSES).map(|t| m[t][c]).sum();
            let support: usize = m[c].iter().sum();
            let precision = if predicted > 0 {
                tp / predicted as f64
            } else {
                0.0
            };
            let recall = if support > 0 {
                tp / support as f64
            } else {
                0.0
            };
            let f1 = if precision + recall > 0.0 {
                2.0 * precision * recall / (precision + recall)
            } else {
                0.0
            };
            ClassScores {
                precision,
                recall,
                f1,
                support,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn class_scores_from_a_small_matrix() {
        let mut m = [[0usize; N_CLASSES]; N_CLASSES];
        m[0][0] = 8;
        m[0][1] = 2;
        m[1][1] = 5;
        m[2][0] = 2;
        let s = class_scores(&m);
        assert!((s[0].precision - 0.8).abs() < 1e-12 && (s[0].recall - 0.8).abs() < 1e-12);
        assert!((s[1].precision - 5.0 / 7.0).abs() < 1e-12 && s[1].recall == 1.0);
        assert_eq!((s[2].f1, s[2].support, s[3].support), (0.0, 2, 0));
    }
}
