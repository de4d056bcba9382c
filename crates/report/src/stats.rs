//! The statistics behind the report: grouping runs by backend, mean curves, confusion matrices,
//! per-class precision/recall/F1, intervals (Wilson over test images, Student-t over seeds),
//! McNemar's test between two models on the same test images, the paired t-test between two
//! backends across seeds, and Holm's correction for testing several pairs. The distributions
//! come from `statrs`.

use bench_core::{HistoryUnit, Metrics, RunRecord};
use mnist_data::N_CLASSES;
use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, DiscreteCDF, Normal, StudentsT};

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
        let p = ChiSquared::new(1.0).map_or(f64::NAN, |d| d.sf(chi2));
        (p, false)
    };
    McNemar {
        only_first: b,
        only_second: c,
        p_value: p_value.min(1.0),
        exact,
    }
}

/// `2 * P(X <= k)` for X ~ Binomial(n, 1/2), capped at 1: the two-sided exact test of a fair
/// coin, for `k` at most `n / 2`.
fn binomial_two_sided(k: usize, n: usize) -> f64 {
    if n == 0 {
        return 1.0;
    }
    let tail = Binomial::new(0.5, n as u64).map_or(f64::NAN, |d| d.cdf(k as u64));
    (2.0 * tail).min(1.0)
}

/// The confidence level of every interval in the report.
pub const CONFIDENCE: f64 = 0.95;

/// A confidence interval, `low` to `high`.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Interval {
    /// Lower bound.
    pub low: f64,
    /// Upper bound.
    pub high: f64,
}

impl Interval {
    /// The interval with its sign flipped (for the difference the other way round).
    pub fn negated(self) -> Self {
        Self {
            low: -self.high,
            high: -self.low,
        }
    }
}

/// The two-sided 95% quantile of the standard normal distribution (1.96).
fn z_95() -> f64 {
    Normal::standard().inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0)
}

/// The two-sided 95% quantile of Student's t with `df` degrees of freedom.
fn t_95(df: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.inverse_cdf(1.0 - (1.0 - CONFIDENCE) / 2.0))
}

/// The Wilson score interval of a proportion, `successes` of `n` (one run's test accuracy over
/// its test images); `None` for `n` = 0.
pub fn wilson(successes: usize, n: usize) -> Option<Interval> {
    if n == 0 {
        return None;
    }
    let (n, p, z) = (n as f64, successes as f64 / n as f64, z_95());
    let denominator = 1.0 + z * z / n;
    let centre = (p + z * z / (2.0 * n)) / denominator;
    let half = z * (p * (1.0 - p) / n + z * z / (4.0 * n * n)).sqrt() / denominator;
    Some(Interval {
        low: centre - half,
        high: centre + half,
    })
}

/// The Student-t interval of the mean of `values` (several seeds' test accuracies); `None`
/// below two values.
pub fn t_interval(values: &[f64]) -> Option<Interval> {
    let (Some(mean), Some(sd)) = mean_std(values) else {
        return None;
    };
    let half = t_95(values.len() as f64 - 1.0) * sd / (values.len() as f64).sqrt();
    Some(Interval {
        low: mean - half,
        high: mean + half,
    })
}

/// How an accuracy's interval was computed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum IntervalMethod {
    /// One run: Wilson score interval over its test images.
    Wilson,
    /// Several seeds: Student-t interval of the mean over seeds.
    StudentT,
}

impl IntervalMethod {
    /// As the tables name it.
    pub fn name(self) -> &'static str {
        match self {
            Self::Wilson => "wilson over test images",
            Self::StudentT => "student-t over seeds",
        }
    }
}

/// The 95% interval of a backend's test accuracy from its successful runs: Wilson over the test
/// images for one run, Student-t over seeds for several.
pub fn accuracy_interval(runs: &[&Metrics]) -> Option<(Interval, IntervalMethod)> {
    match runs {
        [] => None,
        [one] => {
            let n = one.test_predictions.len();
            let correct = (one.test_accuracy * n as f64).round() as usize;
            wilson(correct, n).map(|i| (i, IntervalMethod::Wilson))
        }
        several => {
            let values: Vec<f64> = several.iter().map(|m| m.test_accuracy).collect();
            t_interval(&values).map(|i| (i, IntervalMethod::StudentT))
        }
    }
}

/// A paired t-test of two backends' test accuracies, paired by seed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct PairedT {
    /// Seeds paired.
    pub n: usize,
    /// Mean of first minus second.
    pub mean_difference: f64,
    /// Its 95% interval.
    pub interval: Interval,
    /// Two-sided p-value (before any correction for multiple pairs).
    pub p_value: f64,
}

/// The fewest seeds the report runs a test across seeds on.
pub const MIN_SEEDS_FOR_PAIRED: usize = 3;

/// The paired t-test of `first[i] - second[i]` (the same seed's runs); `None` below two pairs
/// or for lengths that differ. Differences that are all equal give a zero-width interval, and
/// p = 0 (or 1 if they are all zero).
pub fn paired_t(first: &[f64], second: &[f64]) -> Option<PairedT> {
    if first.len() != second.len() || first.len() < 2 {
        return None;
    }
    let diffs: Vec<f64> = first.iter().zip(second).map(|(a, b)| a - b).collect();
    let (Some(mean), Some(sd)) = mean_std(&diffs) else {
        return None;
    };
    let n = diffs.len() as f64;
    let se = sd / n.sqrt();
    // Differences equal up to rounding: no spread for a t statistic to measure.
    let (interval, p_value) = if se <= 1e-12 * mean.abs().max(1e-12) {
        let p = if mean == 0.0 { 1.0 } else { 0.0 };
        (
            Interval {
                low: mean,
                high: mean,
            },
            p,
        )
    } else {
        let t = mean / se;
        let p = StudentsT::new(0.0, 1.0, n - 1.0).map_or(f64::NAN, |d| 2.0 * d.sf(t.abs()));
        let half = t_95(n - 1.0) * se;
        (
            Interval {
                low: mean - half,
                high: mean + half,
            },
            p,
        )
    };
    Some(PairedT {
        n: diffs.len(),
        mean_difference: mean,
        interval,
        p_value: p_value.min(1.0),
    })
}

/// Holm's step-down adjustment of `p_values` (one family of tests), in their order: the
/// smallest is multiplied by the number of tests, the next by one fewer, and so on, kept
/// monotone and capped at 1.
pub fn holm(p_values: &[f64]) -> Vec<f64> {
    let m = p_values.len();
    let mut order: Vec<usize> = (0..m).collect();
    order.sort_by(|&a, &b| p_values[a].total_cmp(&p_values[b]));
    let mut adjusted = vec![0.0; m];
    let mut running = 0.0f64;
    for (rank, &i) in order.iter().enumerate() {
        running = running.max(((m - rank) as f64 * p_values[i]).min(1.0));
        adjusted[i] = running;
    }
    adjusted
}

#[cfg(test)]
mod tests {
    use super::*;

    // Reference values from an independent implementation, computed once with SciPy 1.17.1 and
    // statsmodels (the script's lines are quoted with each value).

    fn close(got: f64, want: f64, tolerance: f64) {
        assert!((got - want).abs() < tolerance, "got {got}, want {want}");
    }

    #[test]
    fn exact_binomial_matches_scipy() {
        // scipy.stats.binomtest(3, 20, 0.5).pvalue
        close(binomial_two_sided(3, 20), 0.0025768280029296875, 1e-12);
        // scipy.stats.binomtest(2, 10, 0.5).pvalue
        close(binomial_two_sided(2, 10), 0.109375, 1e-12);
        assert_eq!(binomial_two_sided(5, 10), 1.0);
        assert_eq!(binomial_two_sided(0, 0), 1.0);
    }

    #[test]
    fn wilson_intervals_match_statsmodels() {
        // statsmodels.stats.proportion.proportion_confint(9785, 10000, method="wilson")
        let i = wilson(9785, 10000).unwrap();
        close(i.low, 0.97546806028119, 1e-9);
        close(i.high, 0.9811644532780726, 1e-9);
        // proportion_confint(8437, 10000, method="wilson")
        let i = wilson(8437, 10000).unwrap();
        close(i.low, 0.8364507588427376, 1e-9);
        close(i.high, 0.8506852806772592, 1e-9);
        // proportion_confint(3, 20, method="wilson")
        let i = wilson(3, 20).unwrap();
        close(i.low, 0.052368745896216595, 1e-9);
        close(i.high, 0.36041886474075696, 1e-9);
        assert_eq!(wilson(0, 0), None);
    }

    const A: [f64; 5] = [0.9783, 0.9790, 0.9771, 0.9795, 0.9776];
    const B: [f64; 5] = [0.9801, 0.9785, 0.9799, 0.9810, 0.9779];

    #[test]
    fn t_interval_matches_scipy() {
        // scipy.stats.t.interval(0.95, 4, loc=mean(A), scale=scipy.stats.sem(A))
        let i = t_interval(&A).unwrap();
        close(i.low, 0.9770802586534514, 1e-9);
        close(i.high, 0.9795197413465485, 1e-9);
        assert_eq!(t_interval(&A[..1]), None);
    }

    #[test]
    fn paired_t_matches_scipy_ttest_rel() {
        // r = scipy.stats.ttest_rel(A, B): statistic -2.0375, r.pvalue, r.confidence_interval(0.95)
        let t = paired_t(&A, &B).unwrap();
        assert_eq!(t.n, 5);
        close(t.p_value, 0.11125770577147728, 1e-9);
        close(t.interval.low, -0.0027879428924554766, 1e-9);
        close(t.interval.high, 0.00042794289245546993, 1e-9);
        close(
            t.mean_difference,
            (A.iter().sum::<f64>() - B.iter().sum::<f64>()) / 5.0,
            1e-12,
        );
        // The same model every seed on one side and a constant gap: no spread, p = 0.
        let c = paired_t(&[0.9, 0.9, 0.9], &[0.8, 0.8, 0.8]).unwrap();
        assert_eq!(
            (c.p_value, c.interval.low, c.interval.high),
            (0.0, c.mean_difference, c.mean_difference)
        );
        assert_eq!(paired_t(&A, &B[..4]), None);
    }

    #[test]
    fn holm_matches_statsmodels() {
        // statsmodels.stats.multitest.multipletests([0.01, 0.04, 0.03], method="holm")[1]
        let got = holm(&[0.01, 0.04, 0.03]);
        for (g, w) in got.iter().zip([0.03, 0.06, 0.06]) {
            close(*g, w, 1e-12);
        }
        // multipletests([0.2, 0.001, 0.04], method="holm")[1]
        let got = holm(&[0.2, 0.001, 0.04]);
        for (g, w) in got.iter().zip([0.2, 0.003, 0.08]) {
            close(*g, w, 1e-12);
        }
        assert!(holm(&[]).is_empty());
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
        // Many discordant pairs: chi-squared, (|30 - 10| - 1)^2 / 40 = 9.025;
        // scipy.stats.chi2.sf(9.025, 1) = 0.002663119259138558.
        let labels = [0u8; 100];
        let first: Vec<u8> = (0..100).map(|i| u8::from((30..40).contains(&i))).collect();
        let second: Vec<u8> = (0..100).map(|i| u8::from(i < 30)).collect();
        let t = mcnemar(&labels, &first, &second);
        assert_eq!((t.only_first, t.only_second, t.exact), (30, 10, false));
        close(t.p_value, 0.002663119259138558, 1e-9);
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
