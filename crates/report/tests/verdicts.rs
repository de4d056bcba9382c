//! The verdicts of `summary.md`: what Welch's test across seeds and McNemar's test on the test
//! images show of each pair of backends, and no more.

// Tests fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use bench_core::{HistoryUnit, RunRecord};
use common::{five_seeds, noisy_five_seeds, run, summary_of, verdicts, wrong_on};
use mnist_data::synth;

#[test]
fn verdicts_say_what_welchs_test_shows_and_no_more() {
    let test = synth::separable(2000, 9);
    let runs = noisy_five_seeds(&test);
    let (md, across, summary) = summary_of(&runs, &test, (1..=5).collect());
    assert!(summary.contains("student-t over seeds"), "{summary}");
    let v = verdicts(&md);
    assert_eq!(v.len(), 3, "{md}");
    // Three pairs tested: the intervals are at the Bonferroni level 1 - 0.05/3, said once above
    // the sentences, which carry the figures only.
    assert!(
        md.contains("with its 98.3% CI, Bonferroni over 3 pairs; p-values are Holm-adjusted"),
        "{md}"
    );
    assert!(
        v[0].starts_with("- good is more accurate than bad by 18.00 points (98.3% CI 1")
            && v[0].contains("); the difference holds across seeds (Welch p = ")
            && v[0]
                .ends_with("the test images tell them apart on 5 of 5 seeds, good ahead on each."),
        "{}",
        v[0]
    );
    assert!(
        v[1].starts_with("- twin is more accurate than bad by "),
        "{}",
        v[1]
    );
    // The pair the test cannot tell apart: one line, with its p-value and McNemar's count.
    assert!(
        v[2].starts_with("- Not told apart across seeds: good and twin (Welch p = ")
            && v[2].contains("; the test images differ on ")
            && v[2].ends_with(" of 5 seeds)."),
        "{}",
        v[2]
    );
    // The table of every pair keeps each sentence whole, with its tests' names and corrections.
    assert!(
        across.contains(
            "the difference holds across seeds (Welch's t-test over 5 and 5 runs, Holm-adjusted p = "
        ) && across.contains(", Bonferroni over 3 pairs)")
            && across.contains("good and twin cannot be told apart across seeds: ")
            && across.contains(
                "(McNemar, each seed on its own, corrected across pairs but not across seeds)"
            ),
        "{across}"
    );
    // The table across seeds, one row per pair, with both intervals.
    assert!(
        across.starts_with(
            "first,second,runs_first,runs_second,mean_difference,test,welch_df,ci95_low,ci95_high,\
             ci_level,ci_low,ci_high,p_value,p_holm,seeds_differing_mcnemar,seeds_mcnemar,verdict"
        ),
        "{across}"
    );
    assert_eq!(across.lines().count(), 4);
    // The prose reads the code's thresholds.
    assert!(
        md.contains("fewer than 25 images differ")
            && md.contains("with 3 successful runs or more on each side")
            && md.contains("below 0.05 counts"),
        "{md}"
    );
    assert!(!md.contains("paired t-test"), "{md}");
}

#[test]
fn two_deterministic_backends_have_a_fixed_difference_and_no_p_value() {
    let test = synth::separable(2000, 9);
    // run() errs on exactly every n-th image whatever the seed: the same accuracy every seed.
    let runs = five_seeds(&test, &[("good", 50), ("bad", 5)]);
    let (md, across, _) = summary_of(&runs, &test, (1..=5).collect());
    let v = verdicts(&md);
    assert_eq!(
        v[0],
        "- good scores 18.00 points above bad on every seed: neither varies from seed to seed, so \
         the difference is fixed and no test across seeds applies; McNemar's test on the test \
         images is the one that speaks to it: the test images tell them apart on 5 of 5 seeds, \
         good ahead on each.",
    );
    assert!(
        md.contains("| +18.00 points on every seed | no test: fixed difference |"),
        "{md}"
    );
    assert!(
        across.contains(",\"fixed difference, no test\","),
        "{across}"
    );
    assert!(!md.contains("p = 0e0") && !md.contains("p = 0 "), "{md}");
}

#[test]
fn with_two_seeds_the_sentence_never_names_the_less_accurate_backend_as_more_accurate() {
    let test = synth::separable(2000, 9);
    // Seed 1: the test images favour a (30 images only a gets right): significant. Seed 2: b
    // gets 240 - 200 = 40 more right, not significant (p = 0.063), which puts b's mean ahead.
    let runs = vec![
        wrong_on(run("a", HistoryUnit::Epoch, 1, &test, 2), &test, 0..0),
        wrong_on(run("b", HistoryUnit::Epoch, 1, &test, 2), &test, 0..30),
        wrong_on(run("a", HistoryUnit::Epoch, 2, &test, 2), &test, 100..340),
        wrong_on(run("b", HistoryUnit::Epoch, 2, &test, 2), &test, 400..600),
    ];
    let (md, _, _) = summary_of(&runs, &test, vec![1, 2]);
    let v = verdicts(&md);
    assert_eq!(
        v[0],
        "- b's mean test accuracy is 0.25 points above a's; the test images tell them apart on 1 \
         of 2 seeds, a ahead on that seed."
    );
    // What a test across seeds needs is said once, below the sentences.
    let need = "Whether the training procedures differ beyond seed-to-seed noise needs 3 \
                successful runs or more of each (--seeds 3 or more).";
    assert_eq!(md.matches(need).count(), 1, "{md}");
    assert!(!v[0].contains("more accurate"), "{}", v[0]);
}

#[test]
fn one_seed_is_mcnemar_only_and_says_what_a_test_across_seeds_needs() {
    let test = synth::separable(2000, 9);
    let runs = five_seeds(&test, &[("good", 50), ("bad", 5)]);
    let one: Vec<RunRecord> = runs
        .into_iter()
        .filter(|r| r.hyperparams.seed == 1)
        .collect();
    let (md, _, summary) = summary_of(&one, &test, vec![1]);
    assert!(
        md.contains("- good's mean test accuracy is 18.00 points above bad's; seed 1's test images tell them apart, good ahead (McNemar).\n\nWhether the training procedures differ beyond seed-to-seed noise needs 3 successful runs or more of each (--seeds 3 or more)."),
        "{md}"
    );
    // A single run's interval is Wilson's, over the test images.
    assert!(summary.contains("wilson over test images"), "{summary}");
    assert!(!summary.contains("student-t"), "{summary}");
}
