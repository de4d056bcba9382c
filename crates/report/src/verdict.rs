//! The sentences of a report's "Which differences are real?": what McNemar's test and Welch's
//! test say about a pair of backends, worded so that no sentence claims more than its test; and
//! the section that shows the tests behind them (its prose and one table row per pair).

use crate::analysis::{ALPHA, PairTest};
use crate::stats::{AcrossSeeds, EXACT_BELOW, Interval, MIN_SEEDS_ACROSS, mean_std};

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

    /// `ci` (in points) as a verdict shows it: `98.3% CI 5.11 to 5.39, Bonferroni over 3 pairs`
    /// (`full`), or `98.3% CI 5.11 to 5.39` where the report states the correction once.
    fn family_ci_text(&self, ci: Interval, full: bool) -> String {
        let bounds = format!("{:.2} to {:.2}", 100.0 * ci.low, 100.0 * ci.high);
        match self.family_label().split_once(", ") {
            Some((level, correction)) if full => format!("{level} {bounds}, {correction}"),
            Some((level, _)) => format!("{level} {bounds}"),
            None => format!("{} {bounds}", self.family_label()),
        }
    }

    /// What McNemar's test says, seed by seed: each seed is tested on its own and corrected
    /// across the pairs tested at that seed, not across seeds (said in brackets when `full`).
    fn images_summary(&self, full: bool) -> String {
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
        let what = if full {
            " (McNemar, each seed on its own, corrected across pairs but not across seeds)"
        } else {
            ""
        };
        if k == 0 {
            return format!("the test images tell them apart on none of {n} seeds{what}");
        }
        let all = match k {
            1 => "on that seed".to_string(),
            _ if k == n => "on each".to_string(),
            _ => format!("on all {k}"),
        };
        let sides = match (for_a, for_b) {
            (_, 0) => format!("{a} ahead {all}"),
            (0, _) => format!("{b} ahead {all}"),
            _ => format!("{a} ahead on {for_a}, {b} on {for_b}"),
        };
        format!("the test images tell them apart on {k} of {n} seeds, {sides}{what}")
    }

    /// One plain sentence saying what the tests show, and no more: complete on its own, with the
    /// tests' names and corrections (as `across-seeds.csv` holds it).
    pub fn verdict(&self) -> String {
        self.sentence(true)
    }

    /// The same sentence for a report that states the tests' corrections once, above its
    /// sentences: the figures, without the conventions in brackets.
    pub fn brief_verdict(&self) -> String {
        self.sentence(false)
    }

    /// Whether the stricter Bonferroni interval of the difference, taken towards the more
    /// accurate backend, still reaches zero: Holm's correction can call a difference real that
    /// this interval does not.
    pub fn bonferroni_reaches_zero(&self) -> bool {
        match (self.family_interval(), self.mean_difference_points()) {
            (Some(ci), Some(diff)) => {
                let ci = if diff >= 0.0 { ci } else { ci.negated() };
                ci.low <= 0.0
            }
            _ => false,
        }
    }

    /// Whether neither backend varies from seed to seed and both score the same on every seed.
    pub fn scores_the_same(&self) -> bool {
        matches!(self.across_seeds, Some(AcrossSeeds::Fixed { difference }) if difference.abs() < SAME)
    }

    /// Whether Welch's test across seeds ran and found no difference.
    pub fn not_told_apart(&self) -> bool {
        matches!(
            (self.across_seeds, self.across_p_holm),
            (Some(AcrossSeeds::Welch(_)), Some(p)) if p >= ALPHA
        )
    }

    fn sentence(&self, full: bool) -> String {
        let (a, b) = (self.first.as_str(), self.second.as_str());
        let Some(diff) = self.mean_difference_points() else {
            let missing = if self.first_accuracies.is_empty() {
                a
            } else {
                b
            };
            return format!("{a} and {b}: {missing} has no successful run, so no comparison.");
        };
        let (better, worse) = if diff >= 0.0 { (a, b) } else { (b, a) };
        let images = if self.per_seed.is_empty() {
            "no seed where both succeeded, so no test on the test images".to_string()
        } else {
            self.images_summary(full)
        };
        match (self.across_seeds, self.across_p_holm) {
            (Some(AcrossSeeds::Welch(t)), Some(p)) => {
                let ci = t.interval(self.family_level);
                let ci = if diff >= 0.0 { ci } else { ci.negated() };
                let ci = self.family_ci_text(ci, full);
                let test = if full {
                    format!(
                        "Welch's t-test over {} and {} runs, Holm-adjusted {}",
                        t.n.0,
                        t.n.1,
                        p_is(p)
                    )
                } else {
                    format!("Welch {}", p_is(p))
                };
                if p < ALPHA {
                    // Holm's correction is less strict than Bonferroni's: it can call a difference
                    // real whose Bonferroni interval still reaches zero; the sentence says so.
                    let caveat = if self.bonferroni_reaches_zero() {
                        "; by Holm's correction, while the stricter Bonferroni interval still \
                         reaches zero"
                    } else {
                        ""
                    };
                    format!(
                        "{better} is more accurate than {worse} by {:.2} points ({ci}); the \
                         difference holds across seeds ({test}{caveat}), and {images}.",
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
                let lead = if self.scores_the_same() {
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
            _ if full => format!(
                "{better}'s mean test accuracy is {:.2} points above {worse}'s; {images}; {}",
                diff.abs(),
                untested_note(false)
            ),
            _ => format!(
                "{better}'s mean test accuracy is {:.2} points above {worse}'s; {images}.",
                diff.abs()
            ),
        }
    }
}

/// What a test across seeds needs, said where a pair has none; as a sentence of its own when
/// `capital`.
fn untested_note(capital: bool) -> String {
    format!(
        "{}hether the training procedures differ beyond seed-to-seed noise needs \
         {MIN_SEEDS_ACROSS} successful runs or more of each (--seeds {MIN_SEEDS_ACROSS} or more).",
        if capital { "W" } else { "w" }
    )
}

/// "Which differences are real?": a key to the figures (the corrections, said once), one
/// sentence per pair the tests tell apart or cannot test, then the pairs Welch's test cannot tell
/// apart in one line.
pub fn differences(pairs: &[PairTest]) -> String {
    let Some(first) = pairs.first() else {
        return "Only one backend ran: there is nothing to compare.\n\n".to_string();
    };
    // The interval and p-values are Welch's: named only when some pair has a Welch test.
    let any_welch = pairs
        .iter()
        .any(|p| matches!(p.across_seeds, Some(AcrossSeeds::Welch(_))));
    let welch = if any_welch {
        format!(
            ", with its {}; p-values are Holm-adjusted over the pairs",
            first.family_label()
        )
    } else {
        String::new()
    };
    let mut md = format!(
        "Each difference is in points of mean test accuracy{welch}; McNemar's test takes each \
         seed on its own ([how the tests work](#the-tests-behind-the-verdicts)).\n\n"
    );
    for pair in pairs.iter().filter(|p| !p.not_told_apart()) {
        md.push_str(&format!("- {}\n", pair.brief_verdict()));
    }
    let same: Vec<String> = pairs
        .iter()
        .filter(|p| p.not_told_apart())
        .map(|p| {
            format!(
                "{} and {} (Welch {}; the test images differ on {} of {} seeds)",
                p.first,
                p.second,
                p.across_p_holm.map(p_is).unwrap_or_default(),
                p.significant(),
                p.per_seed.len()
            )
        })
        .collect();
    if !same.is_empty() {
        md.push_str(&format!(
            "- Not told apart across seeds: {}.\n",
            same.join("; ")
        ));
    }
    // Said once for every pair without a test across seeds (a fixed difference has its own
    // sentence).
    let untested = pairs.iter().any(|p| {
        p.across_seeds.is_none()
            && !p.first_accuracies.is_empty()
            && !p.second_accuracies.is_empty()
    });
    if untested {
        md.push_str(&format!("\n{}\n", untested_note(true)));
    }
    md.push('\n');
    md
}

/// Accuracy differences below this are rounding: the two backends score the same.
const SAME: f64 = 1e-12;

/// `p = 0.003`, or `p < 1e-300` for a tail that underflowed.
pub fn p_is(p: f64) -> String {
    let shown = format_p(p);
    if shown.starts_with('<') {
        format!("p {shown}")
    } else {
        format!("p = {shown}")
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

/// What the two tests ask and how they decide, with the thresholds the code uses.
pub fn tests_prose() -> String {
    format!(
        "Two questions, for each pair of backends. **On these test images** (McNemar's test, per \
         seed): do the two trained models differ, counting the images only one of them gets \
         right (exact binomial test when fewer than {EXACT_BELOW} images differ, chi-squared with \
         continuity correction otherwise)? Each seed is tested on its own; its p-values are \
         corrected for the number of pairs, not for the number of seeds. **Across training \
         seeds** (Welch's unequal-variance t-test on test accuracy, with {MIN_SEEDS_ACROSS} \
         successful runs or more on each side): do the two training procedures differ once their \
         own randomness is counted? The runs of two backends share no randomness, so they are \
         two independent samples, not pairs. Two backends that do not vary across seeds at all \
         have a fixed difference and no p-value: McNemar's test is the one that speaks to them. \
         Each question's p-values are corrected for the number of pairs (Holm); a corrected \
         p-value below {ALPHA} counts as a difference. Welch's interval is shown at the \
         Bonferroni level 1 − {ALPHA}/m for m pairs tested, so that it holds for all pairs \
         at once (Holm's correction is the less strict of the two, so a difference it calls \
         real can still have an interval that touches zero); `across-seeds.csv` also has the \
         unadjusted 95% interval.\n\n"
    )
}

/// One pair's row of the tests table.
pub fn tests_row(pair: &PairTest) -> String {
    let n = pair.per_seed.len().max(1) as f64;
    let mean = |f: fn(&crate::stats::McNemar) -> usize| {
        pair.per_seed.iter().map(|t| f(&t.test)).sum::<usize>() as f64 / n
    };
    let ps: Vec<String> = pair
        .per_seed
        .iter()
        .map(|t| format!("{} (seed {})", format_p(t.p_holm), t.seed))
        .collect();
    let counts = |v: f64| {
        if pair.per_seed.len() > 1 {
            format!("{v:.1} (mean)")
        } else {
            format!("{v:.0}")
        }
    };
    let points = |d: f64| format!("{:+.2} points", 100.0 * d);
    let (difference, test) = match (pair.across_seeds, pair.family_interval()) {
        (Some(AcrossSeeds::Welch(t)), Some(ci)) => (
            format!(
                "{} ({:+.2} to {:+.2})",
                points(t.mean_difference),
                100.0 * ci.low,
                100.0 * ci.high
            ),
            pair.across_p_holm.map_or("–".into(), format_p),
        ),
        (Some(AcrossSeeds::Fixed { difference }), _) => (
            format!("{} on every seed", points(difference)),
            "no test: fixed difference".to_string(),
        ),
        _ => (
            pair.mean_difference_points()
                .map_or("–".into(), |d| format!("{d:+.2} points")),
            format!("needs {MIN_SEEDS_ACROSS} successful runs of each"),
        ),
    };
    format!(
        "| {} vs {} | {} | {} | {} | {} of {} | {difference} | {test} |\n",
        pair.first,
        pair.second,
        counts(mean(|t| t.only_first)),
        counts(mean(|t| t.only_second)),
        if ps.is_empty() {
            "–".into()
        } else {
            ps.join(", ")
        },
        pair.significant(),
        pair.per_seed.len()
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::stats::WelchT;

    #[test]
    fn a_holm_difference_whose_bonferroni_interval_reaches_zero_says_so() {
        // Three pairs tested: Holm's p for this one is 0.04, while its 98.3% Bonferroni interval
        // (df 2, half-width 7.6 x 0.0015 = 0.0114 around 0.01) reaches below zero.
        let pair = PairTest {
            first: "a".into(),
            second: "b".into(),
            per_seed: Vec::new(),
            first_accuracies: vec![0.52, 0.50, 0.51],
            second_accuracies: vec![0.50, 0.50, 0.50],
            across_seeds: Some(AcrossSeeds::Welch(WelchT {
                n: (3, 3),
                mean_difference: 0.01,
                df: 2.0,
                std_error: 0.0015,
                p_value: 0.02,
            })),
            across_p_holm: Some(0.04),
            family_level: 1.0 - ALPHA / 3.0,
            family_size: 3,
        };
        let v = pair.verdict();
        assert!(
            v.starts_with("a is more accurate than b by 1.00 points (98.3% CI -0.")
                && v.contains(
                    ", Bonferroni over 3 pairs); the difference holds across seeds \
                     (Welch's t-test over 3 and 3 runs, Holm-adjusted p = 0.040; by Holm's \
                     correction, while the stricter Bonferroni interval still reaches zero)"
                ),
            "{v}"
        );
    }

    #[test]
    fn p_values_read_as_people_read_them_and_never_as_zero() {
        assert_eq!(format_p(0.0), "< 1e-300");
        assert_eq!(format_p(5e-98), "5e-98");
        assert_eq!(format_p(0.00123), "0.0012");
        assert_eq!(format_p(0.107), "0.107");
    }
}
