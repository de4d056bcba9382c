//! What the statistics' tests compare against: reference values from an independent
//! implementation, computed once with SciPy 1.17.1 and statsmodels, and two samples of test
//! accuracies over five seeds.

/// Fails unless `got` is within `tolerance` of `want`.
pub(super) fn close(got: f64, want: f64, tolerance: f64) {
    assert!((got - want).abs() < tolerance, "got {got}, want {want}");
}

/// Five seeds' test accuracies of one backend, and of another.
pub(super) const A: [f64; 5] = [0.9783, 0.9790, 0.9771, 0.9795, 0.9776];
pub(super) const B: [f64; 5] = [0.9801, 0.9785, 0.9799, 0.9810, 0.9779];
