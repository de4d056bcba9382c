//! The statistics behind the report: grouping runs by backend, mean curves, confusion matrices,
//! per-class precision/recall/F1, intervals (Wilson over test images, Student-t over seeds),
//! McNemar's test between two models on the same test images, Welch's t-test between two
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

/// The two-sided quantile of Student's t with `df` degrees of freedom for an interval at `level`.
fn t_quantile(df: f64, level: f64) -> f64 {
    StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| d.inverse_cdf(1.0 - (1.0 - level) / 2.0))
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
    let half =
        t_quantile(values.len() as f64 - 1.0, CONFIDENCE) * sd / (values.len() as f64).sqrt();
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

/// Welch's unequal-variance t-test of two backends' test accuracies over their seeds. The runs
/// of two backends share no randomness (each derives its own streams from a seed), so they are
/// two independent samples, not pairs.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct WelchT {
    /// Runs on each side.
    pub n: (usize, usize),
    /// Mean of first minus mean of second.
    pub mean_difference: f64,
    /// Welch–Satterthwaite degrees of freedom.
    pub df: f64,
    /// Standard error of the difference.
    pub std_error: f64,
    /// Two-sided p-value (before any correction for multiple pairs).
    pub p_value: f64,
}

impl WelchT {
    /// The interval of the mean difference at `level` (e.g. 0.95), from Student's t with the
    /// Welch–Satterthwaite degrees of freedom.
    pub fn interval(&self, level: f64) -> Interval {
        let half = t_quantile(self.df, level) * self.std_error;
        Interval {
            low: self.mean_difference - half,
            high: self.mean_difference + half,
        }
    }
}

/// What a comparison across seeds can say.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum AcrossSeeds {
    /// Welch's test, when at least one side varies from seed to seed.
    Welch(WelchT),
    /// Neither side varies across seeds (two deterministic backends): the difference, first
    /// minus second, is the same for every seed, and no t-test applies.
    Fixed {
        /// First minus second.
        difference: f64,
    },
}

/// The fewest successful runs on each side for a test across seeds.
pub const MIN_SEEDS_ACROSS: usize = 3;

/// Standard deviations at or below this share of the mean are rounding, not spread.
const NO_SPREAD: f64 = 1e-12;

/// Welch's t-test of `first` against `second` (each backend's test accuracies over its seeds);
/// `None` when either side has fewer than two values or a value is not finite.
pub fn welch_t(first: &[f64], second: &[f64]) -> Option<AcrossSeeds> {
    if first.len() < 2 || second.len() < 2 || first.iter().chain(second).any(|v| !v.is_finite()) {
        return None;
    }
    let moments = |v: &[f64]| {
        let (Some(mean), Some(sd)) = mean_std(v) else {
            return None;
        };
        let sd = if sd <= NO_SPREAD * mean.abs().max(1.0) {
            0.0
        } else {
            sd
        };
        Some((mean, sd * sd / v.len() as f64, v.len() as f64))
    };
    let ((ma, va, na), (mb, vb, nb)) = (moments(first)?, moments(second)?);
    let mean_difference = ma - mb;
    if va == 0.0 && vb == 0.0 {
        return Some(AcrossSeeds::Fixed {
            difference: mean_difference,
        });
    }
    let std_error = (va + vb).sqrt();
    let df = (va + vb).powi(2) / (va * va / (na - 1.0) + vb * vb / (nb - 1.0));
    let t = mean_difference / std_error;
    let p_value = StudentsT::new(0.0, 1.0, df).map_or(f64::NAN, |d| 2.0 * d.sf(t.abs()));
    Some(AcrossSeeds::Welch(WelchT {
        n: (first.len(), second.len()),
        mean_difference,
        df,
        std_error,
        p_value: p_value.min(1.0),
    }))
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

    fn welch(first: &[f64], second: &[f64]) -> WelchT {
        match welch_t(first, second) {
            Some(AcrossSeeds::Welch(t)) => t,
            other => panic!("expected a Welch test, got {other:?}"),
        }
    }

    #[test]
    fn welch_matches_scipy_ttest_ind_on_a_noisy_near_tie() {
        // r = scipy.stats.ttest_ind(A, B, equal_var=False): r.pvalue, r.df,
        // r.confidence_interval(0.95) and r.confidence_interval(1 - 0.05 / 3)
        let t = welch(&A, &B);
        assert_eq!(t.n, (5, 5));
        close(t.p_value, 0.1390830160083552, 1e-9);
        close(t.df, 7.556558353079873, 1e-9);
        let ci = t.interval(0.95);
        close(ci.low, -0.0028428115147606584, 1e-9);
        close(ci.high, 0.00048281151476051837, 1e-9);
        let ci = t.interval(1.0 - 0.05 / 3.0);
        close(ci.low, -0.003364614702033877, 1e-9);
        close(ci.high, 0.0010046147020337406, 1e-9);
        close(
            t.mean_difference,
            (A.iter().sum::<f64>() - B.iter().sum::<f64>()) / 5.0,
            1e-12,
        );
    }

    #[test]
    fn welch_matches_scipy_when_seeds_disagree_in_sign() {
        // Seed by seed, S1 - S2 is -0.0011, +0.0013, -0.0011, +0.0005, +0.0007.
        const S1: [f64; 5] = [0.9780, 0.9801, 0.9775, 0.9799, 0.9790];
        const S2: [f64; 5] = [0.9791, 0.9788, 0.9786, 0.9794, 0.9783];
        // r = scipy.stats.ttest_ind(S1, S2, equal_var=False)
        let t = welch(&S1, &S2);
        close(t.p_value, 0.9166180678099614, 1e-9);
        close(t.df, 5.100204202212168, 1e-9);
        let ci = t.interval(0.95);
        close(ci.low, -0.0013340759817568435, 1e-9);
        close(ci.high, 0.0014540759817569635, 1e-9);
    }

    #[test]
    fn welch_matches_scipy_with_unequal_sizes() {
        // r = scipy.stats.ttest_ind(A, A[:3], equal_var=False)
        let t = welch(&A, &A[..3]);
        assert_eq!(t.n, (5, 3));
        close(t.p_value, 0.8243110748512702, 1e-9);
        close(t.df, 4.424785338362259, 1e-9);
        let ci = t.interval(0.95);
        close(ci.low, -0.001725904186568802, 1e-9);
        close(ci.high, 0.0020592375199018765, 1e-9);
    }

    #[test]
    fn welch_with_one_side_constant_matches_scipy() {
        // A deterministic backend (the same accuracy every seed) against a noisy one:
        // r = scipy.stats.ttest_ind([0.9258] * 5, A, equal_var=False): df = 4, the noisy side's.
        let t = welch(&[0.9258; 5], &A);
        close(t.p_value, 2.9405322413470694e-08, 1e-15);
        close(t.df, 4.0, 1e-9);
        let ci = t.interval(0.95);
        close(ci.low, -0.053719741346548576, 1e-9);
        close(ci.high, -0.051280258653451406, 1e-9);
    }

    #[test]
    fn both_sides_constant_is_a_fixed_difference_without_a_p_value() {
        let fixed = welch_t(&[0.9258; 5], &[0.9, 0.9, 0.9]).unwrap();
        let AcrossSeeds::Fixed { difference } = fixed else {
            panic!("expected a fixed difference, got {fixed:?}");
        };
        close(difference, 0.0258, 1e-12);
        assert!(matches!(
            welch_t(&[0.5; 3], &[0.5; 3]),
            Some(AcrossSeeds::Fixed { difference }) if difference == 0.0
        ));
    }

    #[test]
    fn welch_needs_two_finite_values_a_side() {
        assert_eq!(welch_t(&A, &B[..1]), None);
        assert_eq!(welch_t(&[], &B), None);
        assert_eq!(welch_t(&[0.9, f64::NAN, 0.8], &B), None);
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
