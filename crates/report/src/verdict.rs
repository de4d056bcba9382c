//! The sentences of a report's "Which differences are real?": what McNemar's test and Welch's
//! test say about a pair of backends, worded so that no sentence claims more than its test.

use crate::analysis::{ALPHA, PairTest};
use crate::stats::{AcrossSeeds, Interval, MIN_SEEDS_ACROSS, mean_std};

impl PairTest {
    /// Seeds where the test images tell the two models apart (Holm-corrected p < [`ALPHA`]).
    pub fn significant(&self) -> usize {
        self.per_seed.iter().filter(|t| t.p_holm < ALPHA).count()
    }

    /// Of the seeds where the test images tell the models apart, how many favour the first and
    /// how many the second.
    pub fn significant_by_side(&self) -> (usize, usize) {
        let favour = |first: bool| {
            self.per_seed
                .iter()
                .filter(|t| t.p_holm < ALPHA && (t.test.only_first > t.test.only_second) == first)
                .count()
        };
        (favour(true), favour(false))
    }

    /// Mean test accuracy of first minus that of second (over each one's successful runs), in
    /// points.
    pub fn mean_difference_points(&self) -> Option<f64> {
        let (Some(a), Some(b)) = (
            mean_std(&self.first_accuracies).0,
            mean_std(&self.second_accuracies).0,
        ) else {
            return None;
        };
        Some(100.0 * (a - b))
    }

    /// The interval of the Welch test at the family-wise level, if there is one.
    pub fn family_interval(&self) -> Option<Interval> {
        match self.across_seeds {
            Some(AcrossSeeds::Welch(t)) => Some(t.interval(self.family_level)),
            _ => None,
        }
    }

    /// The label of [`Self::family_interval`]: `95% CI` for a single test, else its level and
    /// what it corrects for, e.g. `98.3% CI, Bonferroni over 3 pairs`.
    pub fn family_label(&self) -> String {
        interval_label(self.family_level, self.family_size)
    }

    /// `ci` (in points) as a verdict shows it: `98.3% CI 5.11 to 5.39, Bonferroni over 3 pairs`.
    fn family_ci_text(&self, ci: Interval) -> String {
        let bounds = format!("{:.2} to {:.2}", 100.0 * ci.low, 100.0 * ci.high);
        match self.family_label().split_once(", ") {
            Some((level, correction)) => format!("{level} {bounds}, {correction}"),
            None => format!("{} {bounds}", self.family_label()),
        }
    }

    /// What McNemar's test says, seed by seed: each seed is tested on its own and corrected
    /// across the pairs tested at that seed, not across seeds.
    fn images_summary(&self) -> String {
        let (a, b) = (self.first.as_str(), self.second.as_str());
        let n = self.per_seed.len();
        let k = self.significant();
        let (for_a, for_b) = self.significant_by_side();
        if n == 1 {
            let seed = self.per_seed[0].seed;
            return if k == 1 {
                let ahead = if for_a == 1 { a } else { b };
                format!("seed {seed}'s test images tell them apart, {ahead} ahead (McNemar)")
            } else {
                format!("seed {seed}'s test images cannot tell them apart (McNemar)")
            };
        }
        let what = "McNemar, each seed on its own, corrected across pairs but not across seeds";
        if k == 0 {
            return format!("the test images tell them apart on none of {n} seeds ({what})");
        }
        let sides = match (for_a, for_b) {
            (_, 0) => format!("{a} ahead on each"),
            (0, _) => format!("{b} ahead on each"),
            _ => format!("{a} ahead on {for_a}, {b} on {for_b}"),
        };
        format!("the test images tell them apart on {k} of {n} seeds, {sides} ({what})")
    }

    /// One plain sentence saying what the tests show, and no more.
    pub fn verdict(&self) -> String {
        let (a, b) = (self.first.as_str(), self.second.as_str());
        let Some(diff) = self.mean_difference_points() else {
            return format!("{a} and {b}: no seed where both succeeded, so no comparison.");
        };
        let (better, worse) = if diff >= 0.0 { (a, b) } else { (b, a) };
        let images = if self.per_seed.is_empty() {
            "no seed where both succeeded, so no test on the test images".to_string()
        } else {
            self.images_summary()
        };
        match (self.across_seeds, self.across_p_holm) {
            (Some(AcrossSeeds::Welch(t)), Some(p)) => {
                let ci = t.interval(self.family_level);
                let ci = if diff >= 0.0 { ci } else { ci.negated() };
                let ci = self.family_ci_text(ci);
                let test = format!(
                    "Welch's t-test over {} and {} runs, Holm-adjusted p = {}",
                    t.n.0,
                    t.n.1,
                    format_p(p)
                );
                if p < ALPHA {
                    format!(
                        "{better} is more accurate than {worse} by {:.2} points ({ci}); the \
                         difference holds across seeds ({test}), and {images}.",
                        diff.abs()
                    )
                } else {
                    format!(
                        "{a} and {b} cannot be told apart across seeds: {better}'s mean is {:.2} \
                         points higher ({ci}; {test}); {images}.",
                        diff.abs()
                    )
                }
            }
            (Some(AcrossSeeds::Fixed { difference }), _) => {
                let lead = if difference == 0.0 {
                    format!("{a} and {b} score the same on every seed")
                } else {
                    format!(
                        "{better} scores {:.2} points above {worse} on every seed",
                        100.0 * difference.abs()
                    )
                };
                format!(
                    "{lead}: neither varies from seed to seed, so the difference is fixed and no \
                     test across seeds applies; McNemar's test on the test images is the one \
                     that speaks to it: {images}."
                )
            }
            _ => format!(
                "{better}'s mean test accuracy is {:.2} points above {worse}'s; {images}; whether \
                 the training procedures differ beyond seed-to-seed noise needs --seeds \
                 {MIN_SEEDS_ACROSS} or more.",
                diff.abs()
            ),
        }
    }
}

/// `95% CI` for a single test, else e.g. `98.3% CI, Bonferroni over 3 pairs`.
pub fn interval_label(level: f64, tests: usize) -> String {
    if tests <= 1 {
        format!("{:.0}% CI", 100.0 * level)
    } else {
        format!("{:.1}% CI, Bonferroni over {tests} pairs", 100.0 * level)
    }
}

/// A p-value as people read it.
pub fn format_p(p: f64) -> String {
    if p < 1e-300 {
        // A tail that underflowed: zero is not a p-value.
        "< 1e-300".to_string()
    } else if p < 1e-4 {
        format!("{p:.0e}")
    } else if p < 0.01 {
        format!("{p:.4}")
    } else {
        format!("{p:.3}")
    }
}

#[cfg(test)]
mod tests {
    use super::format_p;

    #[test]
    fn p_values_read_as_people_read_them_and_never_as_zero() {
        assert_eq!(format_p(0.0), "< 1e-300");
        assert_eq!(format_p(5e-98), "5e-98");
        assert_eq!(format_p(0.00123), "0.0012");
        assert_eq!(format_p(0.107), "0.107");
    }
}
