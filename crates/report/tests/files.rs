//! Every file of a report on synthetic run records: the documented file list, the tables'
//! columns and rows, the order of `summary.md`'s sections, and every PNG decoding at the size it
//! was drawn.

// Tests fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use std::path::Path;

use bench_core::{HistoryUnit, RunRecord};
use common::{csv_header, png_size, provenance, run, two_seeds, write, write_report};
use mnist_data::synth;
use report::Report;

/// The two-seed report of scratch, linfa and burn, written into `out`; returns the file names.
fn two_seed_report(out: &Path) -> (Vec<RunRecord>, Vec<String>) {
    let test = synth::separable(300, 7);
    let runs = two_seeds(&test);
    let prov = provenance(vec![42, 43]);
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
        not_saved: &[],
        baseline: None,
    };
    let names = write(&report, out);
    (runs, names)
}

#[test]
fn every_documented_file_is_rendered() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let (_, names) = two_seed_report(&out);
    for expected in [
        "summary.md",
        "results.json",
        "deployment.csv",
        "deployment.json",
        "summary.csv",
        "summary.json",
        "runs.csv",
        "history.csv",
        "classes.csv",
        "mcnemar.csv",
        "across-seeds.csv",
        "curves.png",
        "accuracy.png",
        "samples.png",
        "confusion-scratch.png",
        "confusion-linfa.png",
        "confusion-burn.png",
        "misclassified-scratch.png",
        "misclassified-linfa.png",
        "misclassified-burn.png",
    ] {
        assert!(
            names.iter().any(|n| n == expected),
            "missing {expected} in {names:?}"
        );
        assert!(out.join(expected).is_file(), "{expected} not on disk");
    }
    // In path order, each once.
    let mut sorted = names.clone();
    sorted.sort();
    sorted.dedup();
    assert_eq!(names, sorted);
}

#[test]
fn the_tables_have_the_documented_columns_and_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let (runs, _) = two_seed_report(&out);
    // One row per backend / run / epoch / class / pair and seed.
    let (header, rows) = csv_header(&out.join("summary.csv"));
    assert_eq!(
        header[..5],
        ["backend", "model", "params", "epochs", "iterations"]
    );
    assert!(header.contains(&"test_accuracy_std".to_string()));
    assert_eq!(rows, 3);
    assert_eq!(csv_header(&out.join("runs.csv")).1, 6);
    assert_eq!(csv_header(&out.join("history.csv")).1, 2 * (4 + 1 + 4));
    assert_eq!(csv_header(&out.join("classes.csv")).1, 3 * 10);
    let (header, rows) = csv_header(&out.join("mcnemar.csv"));
    assert_eq!(
        header,
        [
            "first",
            "second",
            "seed",
            "only_first_right",
            "only_second_right",
            "p_value",
            "p_holm",
            "test"
        ]
    );
    assert_eq!(rows, 3 * 2);
    let read = |name: &str| -> serde_json::Value {
        serde_json::from_str(&std::fs::read_to_string(out.join(name)).unwrap()).unwrap()
    };
    let summary = read("summary.json");
    assert_eq!(summary.as_array().unwrap().len(), 3);
    assert_eq!(summary[1]["backend"], "linfa");
    // "epochs" counts epochs only, in every table.
    assert_eq!(summary[0]["epochs"], 4);
    assert!(summary[0]["iterations"].is_null());
    assert!(summary[1]["epochs"].is_null());
    assert_eq!(summary[1]["iterations"], 100);
    let runs_table = read("runs.json");
    assert_eq!(runs_table[0]["epochs"], 4);
    assert_eq!(runs_table[1]["iterations"], 100);
    assert!(runs_table[1]["epochs"].is_null());
    let results: report::Results =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results.runs.len(), 6);
    let predictions = |r: &RunRecord| r.metrics.as_ref().unwrap().test_predictions.clone();
    assert_eq!(predictions(&results.runs[0]), predictions(&runs[0]));
}

#[test]
fn the_summary_reads_in_the_documented_order() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    two_seed_report(&out);
    // The answer first, then the table, images, statistics, provenance.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let at = |needle: &str| {
        md.find(needle)
            .unwrap_or_else(|| panic!("missing {needle:?} in summary.md:\n{md}"))
    };
    assert!(at("## The answer") < at("## Every backend"));
    assert!(at("## Every backend") < at("| backend | model |"));
    assert!(at("| backend | model |") < at("## Learning curves"));
    // The verdicts come before the detail.
    assert!(at("| backend | model |") < at("## Which differences are real?"));
    assert!(at("## Which differences are real?") < at("## Learning curves"));
    assert!(at("![Loss and accuracy") < at("## The tests behind the verdicts"));
    assert!(at("## The tests behind the verdicts") < at("## Per-class precision"));
    assert!(at("## Per-class precision") < at("## Provenance"));
    assert!(at("| scratch |") < at("| linfa |"));
    assert!(md.contains("test acc (95% CI)"), "no interval column");
    assert!(
        md.contains("| scratch vs linfa |")
            && md.contains("(seed 42)")
            && md.contains("of 2 seeds")
    );
    // Two seeds: no test across seeds, and the report says what it needs.
    assert!(
        md.contains("needs 3 successful runs or more of each (--seeds 3 or more)"),
        "{md}"
    );
    assert!(md.contains("- Git commit: `abc123`"));
    for b in ["scratch", "linfa", "burn"] {
        assert!(md.contains(&format!("![Confusion matrix of {b}](confusion-{b}.png)")));
        assert!(md.contains(&format!(
            "![Most confident mistakes of {b}](misclassified-{b}.png)"
        )));
    }
    for line in md.lines().filter(|l| l.starts_with("![")) {
        let file = line.rsplit_once('(').unwrap().1.trim_end_matches(')');
        assert!(
            out.join(file).is_file(),
            "summary.md links {file}, which is not there"
        );
    }
}

#[test]
fn every_png_decodes_at_the_size_it_was_drawn() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    two_seed_report(&out);
    // One row of panels under a two-line key (seeds, train, validation and linfa's dotted line
    // do not fit on one line at 1400 px) and a one-row legend.
    assert_eq!(
        png_size(&out.join("curves.png")),
        (1400, 50 + 2 * 26 + 6 + 28 + 6 + 460)
    );
    assert_eq!(png_size(&out.join("accuracy.png")), (1000, 620));
    for b in ["scratch", "linfa", "burn"] {
        assert_eq!(
            png_size(&out.join(format!("confusion-{b}.png"))),
            (770, 770)
        );
        // Six tiles across keep the grid under 1300 px, legible at GitHub's width.
        // (Up to 16 mistakes: one to three rows of tiles.)
        let (w, h) = png_size(&out.join(format!("misclassified-{b}.png")));
        assert_eq!(w, 6 * 192 + 20);
        let rows = (h - 70) / (112 + 16 + 44);
        assert!(
            (1..=3).contains(&rows) && h == 70 + rows * (112 + 16 + 44),
            "{h}"
        );
    }
    let samples = png_size(&out.join("samples.png"));
    assert_eq!(samples, (6 * 192 + 20, 60 + 4 * (112 + 16 + 4 * 22) + 10));
}

#[test]
fn a_backend_whose_name_is_not_a_file_name_is_refused() {
    let test = synth::separable(100, 3);
    let runs = vec![run("scr/atch", HistoryUnit::Epoch, 1, &test, 10)];
    let prov = provenance(vec![1]);
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
        not_saved: &[],
        baseline: None,
    };
    let err = report::render(&report).unwrap_err();
    assert!(matches!(err, report::ReportError::Chart { .. }), "{err:?}");
    assert!(err.to_string().contains("confusion-scr/atch.png"), "{err}");
}

#[test]
fn the_deployment_table_gives_each_backends_medians_and_says_what_was_not_measured() {
    let test = synth::separable(300, 7);
    let mut runs = two_seeds(&test);
    // The second seed's figures differ: the table shows the median of the two.
    for r in &mut runs {
        let m = r.metrics.as_mut().unwrap();
        let d = m.deployment.as_mut().unwrap();
        if r.hyperparams.seed == 43 {
            d.latency_median_seconds = 4e-4;
            d.peak_training_rss_bytes = None;
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    write_report(&runs, &test, vec![42, 43], &out);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Using the models"), "{md}");
    // Median of 0.2 and 0.4 ms; the memory of the one run that measured it.
    let row = md
        .lines()
        .find(|l| l.starts_with("| scratch | 2 | "))
        .unwrap_or_else(|| panic!("no deployment row: {md}"));
    assert_eq!(
        row,
        "| scratch | 2 | 0.300 ms | 0.900 ms | 50000 | 300 MiB (+200) |"
    );
    let (header, rows) = csv_header(&out.join("deployment.csv"));
    assert_eq!(
        header,
        [
            "backend",
            "runs",
            "latency_median_ms",
            "latency_p99_ms",
            "throughput_batch256_per_s",
            "peak_training_rss_mib",
            "training_rss_rise_mib"
        ]
    );
    assert!(rows >= 1);
}
