//! Welch's t-test of two backends' test accuracies across seeds, or the fixed difference of two
//! backends that do not vary from seed to seed.

use statrs::distribution::{ContinuousCDF, StudentsT};

use super::intervals::{Interval, t_quantile};
use super::mean_std;

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

#[cfg(test)]
mod tests {
    use super::super::reference::{A, B, close};
    use super::*;

    // Reference values from SciPy and statsmodels (stats/reference.rs); the script's lines are
    // quoted with each value.

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
}
