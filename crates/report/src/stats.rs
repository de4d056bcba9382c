//! The statistics behind the report: grouping runs by backend, mean curves, confusion matrices,
//! per-class precision/recall/F1, and McNemar's test between backends on the same test images.

use bench_core::{HistoryUnit, Metrics, RunRecord};
use mnist_data::N_CLASSES;

/// Mean and sample standard deviation (`None` below two values).
pub fn mean_std(values: &[f64]) -> (Option<f64>, Option<f64>) {
    if values.is_empty() {
        return (None, None);
    }
    let n = values.len() as f64;
    let mean = values.iter().sum::<f64>() / n;
    let std = (values.len() > 1)
        .then(|| (values.iter().map(|v| (v - mean).powi(2)).sum::<f64>() / (n - 1.0)).sqrt());
    (Some(mean), std)
}

/// Backends in the order they first ran.
fn backend_order(runs: &[RunRecord]) -> Vec<&str> {
    let mut names: Vec<&str> = Vec::new();
    for r in runs {
        if !names.contains(&r.backend.as_str()) {
            names.push(&r.backend);
        }
    }
    names
}

/// Every run of one backend, in seed order.
#[derive(Debug, Clone)]
pub struct BackendRuns<'a> {
    /// Backend name.
    pub name: &'a str,
    /// What the history counts.
    pub unit: HistoryUnit,
    /// The runs, one per seed.
    pub runs: Vec<&'a RunRecord>,
}

impl<'a> BackendRuns<'a> {
    /// Metrics of the successful runs.
    pub fn ok(&self) -> impl Iterator<Item = &'a Metrics> + '_ {
        self.runs.iter().filter_map(|r| r.metrics.as_ref())
    }
}

/// Groups runs by backend, in the order backends first ran.
pub fn by_backend(runs: &[RunRecord]) -> Vec<BackendRuns<'_>> {
    backend_order(runs)
        .into_iter()
        .map(|name| {
            let mine: Vec<&RunRecord> = runs.iter().filter(|r| r.backend == name).collect();
            BackendRuns {
                name,
                unit: mine[0].history_unit,
                runs: mine,
            }
        })
        .collect()
}

/// One point of a learning curve averaged over seeds.
#[derive(Debug, Clone, PartialEq)]
pub struct CurvePoint {
    /// Epoch or iteration budget.
    pub step: f64,
    /// Mean training loss.
    pub train_loss: f64,
    /// Mean training accuracy.
    pub train_accuracy: f64,
    /// Mean validation loss, if every run had one.
    pub validation_loss: Option<f64>,
    /// Mean validation accuracy, if every run had one.
    pub validation_accuracy: Option<f64>,
}

/// The mean learning curve of a backend's successful runs, over the steps they all reached.
pub fn mean_curve(group: &BackendRuns<'_>) -> Vec<CurvePoint> {
    let ok: Vec<&RunRecord> = group.runs.iter().copied().filter(|r| r.is_ok()).collect();
    let Some(shortest) = ok.iter().map(|r| r.history.len()).min() else {
        return Vec::new();
    };
    let n = ok.len() as f64;
    (0..shortest)
        .map(|i| {
            let at = |f: &dyn Fn(&bench_core::EpochStats) -> Option<f64>| -> Option<f64> {
                let v: Option<Vec<f64>> = ok.iter().map(|r| f(&r.history[i])).collect();
                v.map(|v| v.iter().sum::<f64>() / n)
            };
            CurvePoint {
                step: ok[0].history[i].step as f64,
                train_loss: at(&|h| Some(h.train_loss)).unwrap_or(f64::NAN),
                train_accuracy: at(&|h| Some(h.train_accuracy)).unwrap_or(f64::NAN),
                validation_loss: at(&|h| h.validation_loss),
                validation_accuracy: at(&|h| h.validation_accuracy),
            }
        })
        .collect()
}

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

/// McNemar's test of two classifiers on the same images.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct McNemar {
    /// Images the first got right and the second wrong.
    pub only_first: usize,
    /// Images the second got right and the first wrong.
    pub only_second: usize,
    /// Two-sided p-value.
    pub p_value: f64,
    /// Whether the exact binomial form was used (few discordant pairs).
    pub exact: bool,
}

/// Below this many discordant pairs the exact binomial test replaces the chi-squared
/// approximation.
pub const EXACT_BELOW: usize = 25;

/// McNemar's test on paired predictions of the same labelled images.
pub fn mcnemar(labels: &[u8], first: &[u8], second: &[u8]) -> McNemar {
    let (mut b, mut c) = (0, 0);
    for ((&t, &p), &q) in labels.iter().zip(first).zip(second) {
        match (p == t, q == t) {
            (true, false) => b += 1,
            (false, true) => c += 1,
            _ => {}
        }
    }
    let n = b + c;
    let (p_value, exact) = if n < EXACT_BELOW {
        (binomial_two_sided(b.min(c), n), true)
    } else {
        // Chi-squared with one degree of freedom and continuity correction.
        let diff = (b as f64 - c as f64).abs() - 1.0;
        let chi2 = diff.max(0.0).powi(2) / n as f64;
        (erfc((chi2 / 2.0).sqrt()), false)
    };
    McNemar {
        only_first: b,
        only_second: c,
        p_value: p_value.min(1.0),
        exact,
    }
}

/// `2 * P(X <= k)` for X ~ Binomial(n, 1/2), capped at 1.
fn binomial_two_sided(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    // Sum in log space to stay exact for any n used here.
    let ln_half_n = n as f64 * 0.5f64.ln();
    let mut ln_choose = 0.0f64; // ln C(n, 0)
    let mut tail = 0.0;
    for i in 0..=k {
        if i > 0 {
            ln_choose += ((n - i + 1) as f64).ln() - (i as f64).ln();
        }
        tail += (ln_choose + ln_half_n).exp();
    }
    (2.0 * tail).min(1.0)
}

/// The complementary error function (W. J. Cody's rational approximations via the
/// Numerical Recipes form; relative error below 1.2e-7).
pub fn erfc(x: f64) -> f64 {
    let z = x.abs();
    let t = 1.0 / (1.0 + 0.5 * z);
    let poly = -z * z - 1.265_512_23
        + t * (1.000_023_68
            + t * (0.374_091_96
                + t * (0.096_784_18
                    + t * (-0.186_288_06
                        + t * (0.278_868_07
                            + t * (-1.135_203_98
                                + t * (1.488_515_87 + t * (-0.822_152_23 + t * 0.170_872_77))))))));
    let r = t * poly.exp();
    if x >= 0.0 { r } else { 2.0 - r }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn erfc_matches_known_values() {
        for (x, want) in [
            (0.0, 1.0),
            (0.5, 0.479_500_122),
            (1.0, 0.157_299_207),
            (2.0, 0.004_677_735),
            (-1.0, 1.842_700_793),
        ] {
            assert!((erfc(x) - want).abs() < 2e-7, "erfc({x}) = {}", erfc(x));
        }
    }

    #[test]
    fn exact_binomial_matches_hand_computed_tails() {
        // n = 10, k = 1: 2 * (1 + 10) / 1024.
        assert!((binomial_two_sided(1, 10) - 22.0 / 1024.0).abs() < 1e-12);
        assert_eq!(binomial_two_sided(5, 10), 1.0);
        assert_eq!(binomial_two_sided(0, 0), 1.0);
    }

    #[test]
    fn mcnemar_counts_discordant_pairs_and_picks_the_form() {
        let labels = [0u8; 40];
        let mut first = [0u8; 40];
        let mut second = [0u8; 40];
        // 2 images only the first gets right, 8 only the second.
        second[..2].fill(1);
        first[2..10].fill(1);
        let t = mcnemar(&labels, &first, &second);
        assert_eq!((t.only_first, t.only_second, t.exact), (2, 8, true));
        assert!((t.p_value - 2.0 * (1.0 + 10.0 + 45.0) / 1024.0).abs() < 1e-12);
        // Many discordant pairs: chi-squared, (|30 - 10| - 1)^2 / 40 = 9.025 -> p ~ 0.00266.
        let labels = [0u8; 100];
        let first: Vec<u8> = (0..100).map(|i| u8::from((30..40).contains(&i))).collect();
        let second: Vec<u8> = (0..100).map(|i| u8::from(i < 30)).collect();
        let t = mcnemar(&labels, &first, &second);
        assert_eq!((t.only_first, t.only_second, t.exact), (30, 10, false));
        assert!((t.p_value - 0.002_663).abs() < 1e-5, "{}", t.p_value);
    }

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
