//! McNemar's test between two models on the same test images: the exact binomial form for few
//! discordant pairs, chi-squared with continuity correction otherwise.

use statrs::distribution::{Binomial, ChiSquared, ContinuousCDF, DiscreteCDF};

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

#[cfg(test)]
mod tests {
    use super::super::reference::close;
    use super::*;

    // Reference values from SciPy and statsmodels (stats/reference.rs); the script's lines are
    // quoted with each value.

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
}
