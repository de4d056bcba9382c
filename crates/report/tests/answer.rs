//! The answer at the top of `summary.md`: the most accurate backends, those the tests cannot tell
//! from them, and what speed costs in accuracy.

// Tests fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use bench_core::RunRecord;
use common::{answer, failed, five_seeds, noisy_five_seeds, summary_of};
use mnist_data::synth;

#[test]
fn the_answer_names_the_best_the_ones_it_cannot_be_told_from_and_the_cost_of_speed() {
    let test = synth::separable(2000, 9);
    let mut runs = noisy_five_seeds(&test);
    // bad trains and predicts fastest, twin is the faster of the two accurate ones.
    for r in &mut runs {
        let m = r.metrics.as_mut().unwrap();
        let d = m.deployment.as_mut().unwrap();
        (
            m.training_seconds,
            d.latency_median_seconds,
            d.throughput_per_second,
        ) = match r.backend.as_str() {
            "bad" => (0.5, 1e-5, 90_000.0),
            "twin" => (2.0, 1e-4, 60_000.0),
            _ => (3.0, 2e-4, 50_000.0),
        };
    }
    let (md, _, _) = summary_of(&runs, &test, (1..=5).collect());
    let a = answer(&md);
    let lines: Vec<&str> = a.lines().filter(|l| l.starts_with("- ")).collect();
    assert_eq!(lines.len(), 4, "{a}");
    // good and twin err as often on average; which one leads depends on the seeds' extra
    // errors, the other is named beside it.
    let (top, other) = if lines[0].starts_with("- **Most accurate:** good and twin: ") {
        ("good", "twin")
    } else {
        ("twin", "good")
    };
    assert!(
        lines[0].starts_with(&format!(
            "- **Most accurate:** {top} and {other}: {top} has the highest mean ("
        )) && lines[0].contains(" test accuracy, mean of 5 seeds, 95% CI ")
            && lines[0].contains(&format!(
                "; Welch's test across seeds cannot tell {other} ("
            ))
            && lines[0].contains("; less accurate: bad (")
            && lines[0].ends_with("([the tests](#which-differences-are-real))."),
        "{a}"
    );
    assert!(
        lines[1].starts_with("- **Fastest to train:** bad, 0.5 s (mean), at ")
            && lines[1].contains(&format!(
                " points below {top}; of the most accurate, twin: 2.0 s ("
            )),
        "{a}"
    );
    assert!(
        lines[2].starts_with("- **Fastest single prediction:** bad, 0.010 ms (median, batch 1)")
            && lines[2].contains("of the most accurate, twin: 0.100 ms"),
        "{a}"
    );
    assert!(
        lines[3].starts_with("- **Highest throughput:** bad, 90000 images/s (median, batch 256)")
            && lines[3].contains("of the most accurate, twin: 60000 images/s"),
        "{a}"
    );
    // The answer comes before any table.
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("no {needle:?}:\n{md}"))
    };
    assert!(at("## The answer") < at("| backend |"), "{md}");
    assert!(a.lines().count() <= 12, "{a}");
}

#[test]
fn with_one_seed_the_answer_says_no_test_across_seeds_was_made() {
    let test = synth::separable(2000, 9);
    let runs: Vec<RunRecord> = five_seeds(&test, &[("good", 50), ("bad", 5)])
        .into_iter()
        .filter(|r| r.hyperparams.seed == 1)
        .collect();
    let (md, _, _) = summary_of(&runs, &test, vec![1]);
    let a = answer(&md);
    assert!(
        a.contains(
            "- **Highest test accuracy:** good, 98.00% test accuracy, 95% CI 97.29–98.53; not \
             tested across seeds against it: bad (80.00%) (a test needs 3 successful runs or \
             more of each)"
        ),
        "{a}"
    );
    // Every backend as fast as the other: the first in report order, the most accurate.
    assert!(
        a.contains("- **Fastest to train:** good, 1.5 s, at 98.00% test accuracy (["),
        "{a}"
    );
}

#[test]
fn the_answer_counts_each_backends_own_runs_and_names_fixed_differences_and_failures() {
    let test = synth::separable(2000, 9);
    // good and bad never vary from seed to seed (a fixed difference); good fails on seeds 4 and
    // 5; broken fails everywhere; bad's deployment figures are missing.
    let mut runs: Vec<RunRecord> = five_seeds(&test, &[("good", 50), ("bad", 5)])
        .into_iter()
        .map(|r| match (r.backend.as_str(), r.hyperparams.seed) {
            ("good", 4 | 5) => failed("good", r.hyperparams.seed, &test),
            _ => r,
        })
        .collect();
    runs.extend((1..=5).map(|seed| failed("broken", seed, &test)));
    for r in &mut runs {
        if r.backend == "bad"
            && let Some(m) = r.metrics.as_mut()
        {
            m.deployment = None;
            m.training_seconds = 0.5;
        }
    }
    let (md, _, _) = summary_of(&runs, &test, (1..=5).collect());
    let a = answer(&md);
    assert!(
        a.contains(
            "- **Most accurate:** good, 98.00% test accuracy, mean of 3 seeds, 95% CI \
             98.00–98.00; bad scores 18.00 points below it on every seed (neither varies from \
             seed to seed: no test across seeds applies) ([the tests]"
        ),
        "{a}"
    );
    // bad trains faster; its own five runs make its time a mean.
    assert!(
        a.contains("- **Fastest to train:** bad, 0.5 s (mean), at 80.00% test accuracy, 18.00 points below good; good: 1.5 s ("),
        "{a}"
    );
    // Without bad's figures, the fastest prediction is good's.
    assert!(
        a.contains("- **Fastest single prediction:** good, 0.200 ms (median, batch 1), at 98.00% test accuracy (["),
        "{a}"
    );
    assert!(
        a.contains("- **No successful run:** broken (its status below says why)."),
        "{a}"
    );
}

#[test]
fn when_no_run_succeeds_the_answer_says_so() {
    let test = synth::separable(300, 5);
    let runs = vec![failed("a", 1, &test), failed("b", 1, &test)];
    let (md, _, _) = summary_of(&runs, &test, vec![1]);
    assert_eq!(
        answer(&md).trim(),
        "No run succeeded, so there is nothing to compare: each backend's status below says why."
    );
}

#[test]
fn two_backends_that_score_the_same_on_every_seed_are_both_most_accurate() {
    let test = synth::separable(2000, 9);
    // Both err on every 50th image whatever the seed: neither varies, and they are level.
    let runs = five_seeds(&test, &[("a", 50), ("b", 50), ("worse", 5)]);
    let (md, _, _) = summary_of(&runs, &test, (1..=5).collect());
    let a = answer(&md);
    assert!(
        a.contains(
            "- **Most accurate:** a and b: a has the highest mean (98.00% test accuracy, mean of \
             5 seeds, 95% CI 98.00–98.00); b (98.00%) scores the same on every seed; worse scores \
             18.00 points below it on every seed (neither varies"
        ),
        "{a}"
    );
}
