//! The comparison with a baseline: a backend whose accuracy was moved is named and the others
//! are not; other settings, other machines and missing backends compare nothing.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use bench_core::{HistoryUnit, RunRecord};
use mnist_data::synth;
use report::baseline::{self, Change, Outcome};
use report::{Provenance, Results};

/// Five seeds of scratch, linfa and burn with test accuracies and times that vary by seed as
/// real runs do; `jitter` picks another draw of that variation.
fn runs(jitter: u64) -> Vec<RunRecord> {
    let test = synth::separable(50, 3);
    let mut runs = Vec::new();
    for seed in 1..=5u64 {
        for (name, accuracy, seconds) in [
            ("scratch", 0.978, 1.4),
            ("linfa", 0.925, 4.3),
            ("burn", 0.980, 34.0),
        ] {
            let mut r = common::run(name, HistoryUnit::Epoch, seed, &test, 20);
            let m = r.metrics.as_mut().unwrap();
            // A deterministic spread of about 0.1 points and 2% of the time.
            let k = ((seed * 7 + jitter * 3) % 5) as f64 - 2.0;
            m.test_accuracy = if name == "linfa" {
                accuracy
            } else {
                accuracy + 0.0005 * k
            };
            m.training_seconds = seconds * (1.0 + 0.01 * k);
            runs.push(r);
        }
    }
    runs
}

fn results(runs: Vec<RunRecord>, provenance: Provenance) -> Results {
    Results { provenance, runs }
}

fn provenance() -> Provenance {
    common::provenance((1..=5).collect())
}

fn row<'a>(rows: &'a [baseline::BaselineRow], backend: &str) -> &'a baseline::BaselineRow {
    rows.iter().find(|r| r.backend == backend).unwrap()
}

#[test]
fn a_backend_shifted_by_hand_is_named_and_the_others_are_not() {
    let before = results(runs(0), provenance());
    let mut now = runs(1);
    for r in now.iter_mut().filter(|r| r.backend == "burn") {
        r.metrics.as_mut().unwrap().test_accuracy += 0.004;
    }
    let rows = baseline::compare(&now, &provenance(), &before);
    assert_eq!(rows.len(), 3);
    let changes: Vec<(&str, Change)> = rows
        .iter()
        .map(|r| match &r.outcome {
            Outcome::Compared { accuracy, time } => {
                assert!(time.is_some(), "same CPU and build: times compared");
                (r.backend.as_str(), accuracy.change)
            }
            other => panic!("{}: {other:?}", r.backend),
        })
        .collect();
    assert_eq!(
        changes,
        [
            ("scratch", Change::NoneShown),
            ("linfa", Change::NoneShown),
            ("burn", Change::Up)
        ]
    );
    let burn = row(&rows, "burn").sentence();
    assert!(
        burn.starts_with("burn: more accurate by 0.40 points"),
        "{burn}"
    );
    assert!(burn.contains("Holm-adjusted p = "), "{burn}");
    let scratch = row(&rows, "scratch").sentence();
    assert!(
        scratch.starts_with("scratch: no change shown in test accuracy"),
        "{scratch}"
    );
    // linfa does not vary across seeds: equal on every seed is no change, without a test.
    let linfa = row(&rows, "linfa").sentence();
    assert!(
        linfa.contains("the same on every seed on each side"),
        "{linfa}"
    );
}

#[test]
fn a_deterministic_backend_that_moved_is_a_change_without_a_test() {
    let before = results(runs(0), provenance());
    let mut now = runs(0);
    for r in now.iter_mut().filter(|r| r.backend == "linfa") {
        r.metrics.as_mut().unwrap().test_accuracy -= 0.0001;
    }
    let rows = baseline::compare(&now, &provenance(), &before);
    let linfa = row(&rows, "linfa");
    assert!(matches!(
        &linfa.outcome,
        Outcome::Compared { accuracy, .. } if accuracy.change == Change::Down
    ));
    assert!(
        linfa
            .sentence()
            .starts_with("linfa: less accurate by 0.01 points")
    );
}

#[test]
fn slower_training_on_the_same_machine_is_named() {
    let before = results(runs(0), provenance());
    let mut now = runs(2);
    for r in now.iter_mut().filter(|r| r.backend == "scratch") {
        r.metrics.as_mut().unwrap().training_seconds *= 1.5;
    }
    let rows = baseline::compare(&now, &provenance(), &before);
    let sentence = row(&rows, "scratch").sentence();
    assert!(sentence.contains("training slower by 5"), "{sentence}");
    let burn = row(&rows, "burn").sentence();
    assert!(burn.contains("no change shown in training time"), "{burn}");
}

#[test]
fn times_from_another_machine_or_build_are_not_compared() {
    let mut other = provenance();
    other.cpu = "another CPU".into();
    let before = results(runs(0), other);
    let rows = baseline::compare(&runs(1), &provenance(), &before);
    for r in &rows {
        assert!(
            matches!(r.outcome, Outcome::Compared { time: None, .. }),
            "{r:?}"
        );
        assert!(
            r.sentence()
                .ends_with("times not comparable: other machine or build.")
        );
    }
    let mut build = provenance();
    build.build = "release, features blis, candle".into();
    let before = results(runs(0), build);
    let rows = baseline::compare(&runs(1), &provenance(), &before);
    assert!(matches!(
        rows[0].outcome,
        Outcome::Compared { time: None, .. }
    ));
}

#[test]
fn a_baseline_with_other_settings_compares_nothing_for_that_backend() {
    let mut earlier = runs(0);
    for r in earlier.iter_mut().filter(|r| r.backend == "burn") {
        r.hyperparams.epochs = 2;
        r.settings.insert("dropout".into(), "0.5".into());
    }
    let before = results(earlier, provenance());
    let rows = baseline::compare(&runs(1), &provenance(), &before);
    let burn = row(&rows, "burn");
    assert_eq!(
        burn.outcome,
        Outcome::OtherSettings(vec![
            "epochs 2 in the baseline, 4 here".into(),
            "dropout 0.5 in the baseline, none here".into(),
        ])
    );
    assert!(
        burn.sentence().ends_with("nothing compared."),
        "{}",
        burn.sentence()
    );
    assert!(matches!(
        row(&rows, "scratch").outcome,
        Outcome::Compared { .. }
    ));
}

#[test]
fn backends_on_one_side_only_and_failed_runs_are_said() {
    let mut earlier = runs(0);
    earlier.retain(|r| r.backend != "linfa");
    let before = results(earlier, provenance());
    let mut now = runs(1);
    now.retain(|r| r.backend != "burn");
    for r in now.iter_mut().filter(|r| r.backend == "scratch").skip(1) {
        r.metrics = None;
    }
    let rows = baseline::compare(&now, &provenance(), &before);
    let by_name: Vec<(&str, &Outcome)> = rows
        .iter()
        .map(|r| (r.backend.as_str(), &r.outcome))
        .collect();
    assert_eq!(
        by_name,
        [
            ("scratch", &Outcome::TooFewRuns),
            ("linfa", &Outcome::NotInBaseline),
            ("burn", &Outcome::OnlyInBaseline),
        ]
    );
    assert_eq!(row(&rows, "scratch").runs, (5, 1));
}

#[test]
fn the_summary_and_table_carry_the_comparison() {
    let test = synth::separable(50, 3);
    let before = results(runs(0), provenance());
    let now = runs(1);
    let p = provenance();
    let report = report::Report {
        runs: &now,
        test: &test,
        provenance: &p,
        not_saved: &[],
        baseline: Some(baseline::Baseline {
            label: "earlier",
            results: &before,
        }),
    };
    let files = report::render(&report).unwrap();
    let md = files
        .iter()
        .find(|f| f.path.ends_with("summary.md"))
        .unwrap();
    let md = String::from_utf8(md.bytes.clone()).unwrap();
    let section = md.split("## Against the baseline").nth(1).unwrap();
    assert!(section.contains("`earlier`"), "{section}");
    assert!(
        section.contains("- burn: no change shown in test accuracy"),
        "{section}"
    );
    let csv = files
        .iter()
        .find(|f| f.path.ends_with("baseline.csv"))
        .unwrap();
    let csv = String::from_utf8(csv.bytes.clone()).unwrap();
    assert_eq!(csv.lines().count(), 4, "{csv}");
    assert!(csv.starts_with("backend,runs_baseline,runs,compared,test_accuracy_baseline"));
}

#[test]
fn a_constant_figure_is_the_same_whatever_the_seed_counts() {
    // linfa's 0.925 on every seed: its mean over 3 seeds and over 5 differ by rounding alone.
    let before = results(runs(0), provenance());
    let mut now = runs(1);
    now.retain(|r| r.hyperparams.seed <= 3);
    let linfa = |runs: &[RunRecord]| -> Vec<f64> {
        runs.iter()
            .filter(|r| r.backend == "linfa")
            .map(|r| r.metrics.as_ref().unwrap().test_accuracy)
            .collect()
    };
    let mean = |v: Vec<f64>| v.iter().sum::<f64>() / v.len() as f64;
    assert_ne!(
        mean(linfa(&now)),
        mean(linfa(&before.runs)),
        "the case this test is for"
    );
    let rows = baseline::compare(&now, &provenance(), &before);
    let row = row(&rows, "linfa");
    assert!(
        matches!(&row.outcome, Outcome::Compared { accuracy, .. } if accuracy.change == Change::NoneShown),
        "{row:?}"
    );
    assert!(
        row.sentence().starts_with("linfa: no change shown"),
        "{}",
        row.sentence()
    );
}
