//! The statistics behind the report: grouping runs by backend, mean curves, confusion matrices,
//! per-class precision/recall/F1, intervals (Wilson over test images, Student-t over seeds),
//! McNemar's test between two models on the same test images, Welch's t-test between two
//! backends across seeds, and Holm's correction for testing several pairs. The distributions
//! come from `statrs`.

mod classes;
mod groups;
mod holm;
mod intervals;
mod mcnemar;
#[cfg(test)]
mod reference;
mod welch;

pub use classes::{ClassScores, class_scores, confusion};
pub use groups::{BackendRuns, CurvePoint, by_backend, mean_curve};
pub use holm::holm;
pub use intervals::{CONFIDENCE, Interval, IntervalMethod, accuracy_interval, t_interval, wilson};
pub use mcnemar::{EXACT_BELOW, McNemar, mcnemar};
pub use welch::{AcrossSeeds, MIN_SEEDS_ACROSS, WelchT, welch_t};

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
