//! Confidence intervals of a test accuracy: Wilson over one run's test images, Student-t over
//! several seeds' accuracies.

use bench_core::Metrics;
use statrs::distribution::{ContinuousCDF, Normal, StudentsT};

use super::mean_std;

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
pub(super) fn t_quantile(df: f64, level: f64) -> f64 {
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

#[cfg(test)]
mod tests {
    use super::super::reference::{A, close};
    use super::*;

    // Reference values from SciPy and statsmodels (stats/reference.rs); the script's lines are
    // quoted with each value.

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

    #[test]
    fn t_interval_matches_scipy() {
        // scipy.stats.t.interval(0.95, 4, loc=mean(A), scale=scipy.stats.sem(A))
        let i = t_interval(&A).unwrap();
        close(i.low, 0.9770802586534514, 1e-9);
        close(i.high, 0.9795197413465485, 1e-9);
        assert_eq!(t_interval(&A[..1]), None);
    }
}
