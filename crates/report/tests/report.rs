//! The report end to end on synthetic run records: every file is there, the tables have the
//! documented columns, the markdown reads in the documented order, every PNG decodes with the
//! expected size, and a failed write leaves the previous report untouched.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::collections::BTreeMap;
use std::path::Path;

use bench_core::{EpochStats, HistoryUnit, Hyperparams, Metrics, RunRecord, RunStatus};
use mnist_data::{Dataset, N_CLASSES, synth};
use report::{DatasetLabels, Provenance, Report};

/// A run whose predictions are right except on every `wrong_every`-th image (offset by seed).
fn run(
    backend: &str,
    unit: HistoryUnit,
    seed: u64,
    test: &Dataset,
    wrong_every: usize,
) -> RunRecord {
    let labels = test.labels();
    let predictions: Vec<u8> = labels
        .iter()
        .enumerate()
        .map(|(i, &l)| {
            if (i + seed as usize).is_multiple_of(wrong_every) {
                (l + 1) % 10
            } else {
                l
            }
        })
        .collect();
    let mut probabilities = vec![0.01f32; labels.len() * N_CLASSES];
    for (i, &p) in predictions.iter().enumerate() {
        probabilities[i * N_CLASSES + usize::from(p)] = 0.91 - (i % 7) as f32 * 0.01;
    }
    let correct = predictions
        .iter()
        .zip(labels)
        .filter(|(p, l)| p == l)
        .count();
    let steps: Vec<usize> = match unit {
        HistoryUnit::Epoch => (1..=4).collect(),
        HistoryUnit::Iteration => vec![100],
    };
    RunRecord {
        backend: backend.to_string(),
        model: format!("{backend} model"),
        hyperparams: Hyperparams {
            seed,
            epochs: *steps.last().unwrap(),
            batch_size: Some(32),
            learning_rate: Some(0.1),
        },
        settings: BTreeMap::new(),
        split: "standard".into(),
        history_unit: unit,
        history: steps
            .iter()
            .map(|&s| EpochStats {
                step: s,
                train_loss: 1.0 / s as f64,
                train_accuracy: 0.9 + 0.01 * s as f64 / 4.0,
                validation_loss: Some(1.1 / s as f64),
                validation_accuracy: Some(0.89 + 0.01 * s as f64 / 4.0),
                seconds: 0.5,
            })
            .collect(),
        status: RunStatus::Ok,
        metrics: Some(Metrics {
            train_accuracy: 0.95,
            validation_accuracy: Some(0.94),
            test_accuracy: correct as f64 / labels.len() as f64,
            training_seconds: 1.5,
            predictions_per_second: 1000.0,
            deployment: Some(bench_core::deploy::Deployment {
                latency_median_seconds: 2e-4,
                latency_p99_seconds: 9e-4,
                latency_images: 1000,
                throughput_per_second: 50_000.0,
                peak_training_rss_bytes: Some(300 << 20),
                rss_before_training_bytes: Some(100 << 20),
                measuring_seconds: 0.5,
            }),
            param_count: 1234,
            test_predictions: predictions,
            test_probabilities: probabilities,
        }),
        // As the real backends record them: a note of linfa's about L-BFGS, one of burn's
        // about dropout.
        notes: match backend {
            "linfa" => vec!["linfa fits with L-BFGS, which has no epochs.".into()],
            "burn" => vec!["burn's training accuracy is taken with dropout on.".into()],
            _ => Vec::new(),
        },
    }
}

fn failed(backend: &str, seed: u64, test: &Dataset) -> RunRecord {
    let mut r = run(backend, HistoryUnit::Epoch, seed, test, 3);
    r.status = RunStatus::Failed {
        reason: "diverged: loss became NaN in epoch 2 (try a smaller --lr)".into(),
    };
    r.metrics = None;
    r.history.truncate(1);
    r
}

fn provenance(seeds: Vec<u64>) -> Provenance {
    Provenance {
        dataset: DatasetLabels::default(),
        command: "cargo xtask compare --seeds 2".into(),
        seeds,
        split: "standard".into(),
        validation_fraction: 0.1,
        split_sizes: [900, 100, 300],
        data: "synthetic".into(),
        git_commit: "abc123".into(),
        versions: vec![("burn".into(), "0.22.1".into())],
        features: vec!["blis".into()],
        cpu: "test CPU".into(),
        build: "release".into(),
        started: "2026-11-27 00:00:00 UTC".into(),
        total_seconds: 12.5,
    }
}

fn two_seeds(test: &Dataset) -> Vec<RunRecord> {
    let mut runs = Vec::new();
    for seed in [42, 43] {
        runs.push(run("scratch", HistoryUnit::Epoch, seed, test, 20));
        runs.push(run("linfa", HistoryUnit::Iteration, seed, test, 8));
        runs.push(run("burn", HistoryUnit::Epoch, seed, test, 25));
    }
    runs
}

/// Writes the report of `runs` (model seeds `seeds`) into `out`.
fn write_report(runs: &[RunRecord], test: &Dataset, seeds: Vec<u64>, out: &Path) {
    let prov = provenance(seeds);
    let report = Report {
        runs,
        test,
        provenance: &prov,
    };
    report::write(out, &report).unwrap();
}

fn png_size(path: &Path) -> (u32, u32) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (img.width(), img.height())
}

fn csv_header(path: &Path) -> (Vec<String>, usize) {
    let text = std::fs::read_to_string(path).unwrap();
    let mut lines = text.lines();
    let header = lines
        .next()
        .unwrap()
        .split(',')
        .map(str::to_string)
        .collect();
    (header, lines.count())
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

#[test]
fn writes_every_file_with_the_documented_structure() {
    let test = synth::separable(300, 7);
    let runs = two_seeds(&test);
    let prov = provenance(vec![42, 43]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
    };
    let files = report::write(&out, &report).unwrap().files;
    let names: Vec<String> = files.iter().map(|f| f.display().to_string()).collect();
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

    // Tables: documented columns, one row per backend / run / epoch / class / pair and seed.
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
    let summary: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("summary.json")).unwrap()).unwrap();
    assert_eq!(summary.as_array().unwrap().len(), 3);
    assert_eq!(summary[1]["backend"], "linfa");
    // "epochs" counts epochs only, in every table.
    assert_eq!(summary[0]["epochs"], 4);
    assert!(summary[0]["iterations"].is_null());
    assert!(summary[1]["epochs"].is_null());
    assert_eq!(summary[1]["iterations"], 100);
    let runs_table: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("runs.json")).unwrap()).unwrap();
    assert_eq!(runs_table[0]["epochs"], 4);
    assert_eq!(runs_table[1]["iterations"], 100);
    assert!(runs_table[1]["epochs"].is_null());
    let results: report::Results =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results.runs.len(), 6);
    let predictions = |r: &RunRecord| r.metrics.as_ref().unwrap().test_predictions.clone();
    assert_eq!(predictions(&results.runs[0]), predictions(&runs[0]));

    // Markdown: the answer first, then the table, images, statistics, provenance.
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

    // Every PNG decodes, at the size it was drawn.
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
fn a_curve_for_a_backend_without_epochs_gets_its_own_row() {
    let test = synth::separable(100, 3);
    let mut runs = vec![
        run("scratch", HistoryUnit::Epoch, 1, &test, 10),
        run("linfa", HistoryUnit::Iteration, 1, &test, 5),
    ];
    runs[1].history = [10, 25, 100]
        .iter()
        .map(|&s| EpochStats {
            step: s,
            train_loss: 1.0 / s as f64,
            train_accuracy: 0.9,
            validation_loss: Some(1.0 / s as f64),
            validation_accuracy: Some(0.9),
            seconds: 1.0,
        })
        .collect();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    write_report(&runs, &test, vec![1], &out);
    // Two rows of panels (epochs, then L-BFGS iterations) under a one-line key and a legend.
    assert_eq!(
        png_size(&out.join("curves.png")),
        (1400, 50 + 26 + 6 + 28 + 6 + 2 * 460)
    );
}

#[test]
fn failed_runs_are_reported_with_their_reason() {
    let test = synth::separable(100, 3);
    let runs = vec![
        run("scratch", HistoryUnit::Epoch, 1, &test, 10),
        failed("burn", 1, &test),
    ];
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    write_report(&runs, &test, vec![1], &out);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let burn_row = md.lines().find(|l| l.starts_with("| burn |")).unwrap();
    assert!(
        burn_row.contains("failed: diverged: loss became NaN"),
        "{burn_row}"
    );
    assert!(md.contains("## Every run"));
    assert!(!out.join("confusion-burn.png").exists());
    assert!(out.join("confusion-scratch.png").exists());
}

#[test]
fn a_failed_write_leaves_the_previous_report_intact() {
    let test = synth::separable(100, 3);
    let good = vec![run("scratch", HistoryUnit::Epoch, 1, &test, 10)];
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let prov = provenance(vec![1]);
    let report = Report {
        runs: &good,
        test: &test,
        provenance: &prov,
    };
    report::write(&out, &report).unwrap();
    let before = std::fs::read_to_string(out.join("summary.md")).unwrap();

    // A backend name that cannot be a file name makes the write fail half-way through.
    let bad = vec![run("scr/atch", HistoryUnit::Epoch, 1, &test, 10)];
    let report = Report {
        runs: &bad,
        test: &test,
        provenance: &prov,
    };
    let err = report::write(&out, &report).unwrap_err();
    assert!(err.to_string().contains("confusion-scr/atch.png"), "{err}");
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        before
    );
    // No staging folder is left behind.
    let leftovers: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .filter(|n| n != "reports")
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

#[test]
fn an_output_folder_is_replaced_only_if_this_tool_wrote_it() {
    let test = synth::separable(100, 3);
    let runs = vec![run("scratch", HistoryUnit::Epoch, 1, &test, 10)];
    let prov = provenance(vec![1]);
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
    };
    let tmp = tempfile::tempdir().unwrap();

    // An empty folder is taken, and the report in it marked as this tool's...
    let out = tmp.path().join("empty");
    std::fs::create_dir_all(&out).unwrap();
    report::write(&out, &report).unwrap();
    assert!(out.join(report::MARKER).is_file());
    assert!(out.join("summary.md").is_file());
    // ...so a later run may replace it.
    report::check_replaceable(&out).unwrap();
    report::write(&out, &report).unwrap();

    // A folder holding other files is left alone, untouched.
    let theirs = tmp.path().join("theirs");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("notes.txt"), "keep me").unwrap();
    let err = report::write(&theirs, &report).unwrap_err();
    assert!(
        matches!(err, report::ReportError::Occupied { .. }),
        "{err:?}"
    );
    assert!(
        err.to_string()
            .contains("not an earlier output of this tool"),
        "{err}"
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 1);
    assert_eq!(
        std::fs::read_to_string(theirs.join("notes.txt")).unwrap(),
        "keep me"
    );

    // So is a file where the folder would go.
    let file = tmp.path().join("file");
    std::fs::write(&file, "keep me too").unwrap();
    let err = report::write(&file, &report).unwrap_err();
    assert!(
        err.to_string().contains("exists and is not a folder"),
        "{err}"
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me too");

    // Nothing was staged next to them.
    let mut names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    names.sort();
    assert_eq!(names, ["empty", "file", "theirs"]);
}

/// A dataset with long class names: Fashion-MNIST's.
fn clothing() -> DatasetLabels {
    DatasetLabels {
        title: "Clothing-Test".into(),
        class_noun: "class".into(),
        class_names: mnist_data::FASHION_MNIST
            .class_names
            .map(String::from)
            .to_vec(),
    }
}

#[test]
fn the_report_speaks_the_datasets_language_and_only_of_what_ran() {
    let test = synth::separable(200, 5);
    let runs = vec![
        run("scratch", HistoryUnit::Epoch, 1, &test, 10),
        run("other", HistoryUnit::Epoch, 1, &test, 12),
    ];
    let mut prov = provenance(vec![1]);
    prov.dataset = clothing();
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
    };
    report::write(&out, &report).unwrap();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.starts_with("# Clothing-Test: scratch and other compared\n"),
        "{md}"
    );
    // Class names label the per-class table; "digit" is MNIST's word only.
    assert!(
        md.contains("| class | scratch precision / recall / F1 |"),
        "{md}"
    );
    assert!(md.contains("| Ankle boot |") && md.contains("| T-shirt/top |"));
    assert!(!md.to_lowercase().contains("digit"), "{md}");
    // Neither linfa nor burn ran: nothing about L-BFGS, iterations or dropout.
    for absent in ["L-BFGS", "dropout", "without epochs"] {
        assert!(!md.contains(absent), "{absent:?} in:\n{md}");
    }
    let classes = std::fs::read_to_string(out.join("classes.csv")).unwrap();
    assert!(
        classes.starts_with("backend,seed,label,class,"),
        "{classes}"
    );
    assert!(classes.contains(",9,Ankle boot,"), "{classes}");
    // The charts make room for the names: taller than MNIST's digits, and still decodable.
    let (w, h) = png_size(&out.join("confusion-scratch.png"));
    assert!(w > 770 && h > 770, "{w}x{h}");
    assert!(png_size(&out.join("misclassified-other.png")).0 <= 1600);
}

#[test]
fn a_backends_notes_appear_when_it_ran() {
    let test = synth::separable(200, 5);
    let runs = two_seeds(&test);
    let prov = provenance(vec![42, 43]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
    };
    report::write(&out, &report).unwrap();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    // Once each, although each backend ran twice.
    assert_eq!(md.matches("- linfa fits with L-BFGS").count(), 1, "{md}");
    assert_eq!(md.matches("- burn's training accuracy").count(), 1, "{md}");
    assert!(md.contains("| digit |"), "MNIST keeps its word: {md}");
}

#[test]
fn every_backends_pictures_come_from_one_seed_when_they_can() {
    let test = synth::separable(200, 5);
    // scratch failed at seed 42: every backend is featured at seed 43, where all succeeded.
    let runs = vec![
        failed("scratch", 42, &test),
        run("burn", HistoryUnit::Epoch, 42, &test, 25),
        run("scratch", HistoryUnit::Epoch, 43, &test, 20),
        run("burn", HistoryUnit::Epoch, 43, &test, 25),
    ];
    let prov = provenance(vec![42, 43]);
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
    };
    report::write(&out, &report).unwrap();
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("## Per-class precision, recall and F1 (seed 43)"),
        "{md}"
    );
    let classes = std::fs::read_to_string(out.join("classes.csv")).unwrap();
    let seeds: Vec<&str> = classes
        .lines()
        .skip(1)
        .map(|l| l.split(',').nth(1).unwrap())
        .collect();
    assert_eq!(seeds.len(), 20);
    assert!(seeds.iter().all(|&s| s == "43"), "{classes}");
}

#[test]
fn a_report_nested_in_another_survives_its_replacement() {
    // reports/ holds the MNIST report and reports/fashion-mnist/ another: rewriting the first
    // must not delete the second.
    let test = synth::separable(100, 3);
    let runs = vec![run("scratch", HistoryUnit::Epoch, 1, &test, 10)];
    let prov = provenance(vec![1]);
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
    };
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let nested = out.join("fashion-mnist");
    report::write(&out, &report).unwrap();
    report::write(&nested, &report).unwrap();
    let before = std::fs::read_to_string(nested.join("summary.md")).unwrap();
    report::write(&out, &report).unwrap();
    assert_eq!(
        std::fs::read_to_string(nested.join("summary.md")).unwrap(),
        before
    );
    assert!(out.join("summary.md").is_file());
    // A nested report is replaced in its turn without touching its parent.
    report::write(&nested, &report).unwrap();
    assert!(out.join("summary.md").is_file() && nested.join("summary.md").is_file());
    let names: Vec<String> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(names, ["reports"]);
}

/// Five seeds of each backend, `wrong_every` setting each one's error rate.
fn five_seeds(test: &Dataset, backends: &[(&str, usize)]) -> Vec<RunRecord> {
    let mut runs = Vec::new();
    for seed in 1..=5 {
        for &(name, wrong_every) in backends {
            runs.push(run(name, HistoryUnit::Epoch, seed, test, wrong_every));
        }
    }
    runs
}

/// The report of `runs`: `summary.md`, `across-seeds.csv` and `summary.csv`.
fn summary_of(runs: &[RunRecord], test: &Dataset, seeds: Vec<u64>) -> (String, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    write_report(runs, test, seeds, &out);
    (
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        std::fs::read_to_string(out.join("across-seeds.csv")).unwrap(),
        std::fs::read_to_string(out.join("summary.csv")).unwrap(),
    )
}

/// `r` with its predictions right on every test image but those in `wrong`.
fn wrong_on(mut r: RunRecord, test: &Dataset, wrong: impl Iterator<Item = usize>) -> RunRecord {
    let labels = test.labels();
    let mut predictions = labels.to_vec();
    for i in wrong {
        predictions[i] = (labels[i] + 1) % 10;
    }
    let m = r.metrics.as_mut().unwrap();
    m.test_accuracy = predictions
        .iter()
        .zip(labels)
        .filter(|(p, l)| p == l)
        .count() as f64
        / labels.len() as f64;
    m.test_predictions = predictions;
    r
}

/// The verdict lines of a summary.
fn verdicts(md: &str) -> Vec<&str> {
    md.lines()
        .skip_while(|l| !l.starts_with("## Which differences are real?"))
        .take_while(|l| !l.starts_with("## Learning curves"))
        .filter(|l| l.starts_with("- "))
        .collect()
}

/// Five seeds: good errs on 2% of the images plus a few that change with the seed, bad on 20%
/// plus a few, twin as often as good on average but on other images.
fn noisy_five_seeds(test: &Dataset) -> Vec<RunRecord> {
    let mut runs = Vec::new();
    for seed in 1..=5u64 {
        for (name, every, extra) in [
            ("good", 50, [0, 6, 2, 8, 4]),
            ("bad", 5, [4, 0, 6, 2, 8]),
            ("twin", 50, [2, 8, 4, 0, 6]),
        ] {
            let base = run(name, HistoryUnit::Epoch, seed, test, every);
            let offset = (seed as usize + 1) % every;
            let wrong = (0..test.len())
                .filter(|i| (i + seed as usize).is_multiple_of(every))
                .chain((0..extra[seed as usize - 1]).map(|k| k * every + offset));
            runs.push(wrong_on(base, test, wrong));
        }
    }
    runs
}

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

/// Six backends, one of them without epochs, over five seeds: the report a user with every
/// backend gets. It is written where `cargo test` keeps test files (`CARGO_TARGET_TMPDIR`,
/// `six-backends/`), so that its charts can be looked at.
#[test]
fn six_backends_get_a_legend_off_the_data_and_a_slot_each() {
    let test = synth::separable(600, 11);
    let mut runs = Vec::new();
    for seed in 1..=5 {
        for (k, (name, unit, every)) in [
            ("scratch", HistoryUnit::Epoch, 40),
            ("linfa", HistoryUnit::Iteration, 8),
            ("burn", HistoryUnit::Epoch, 45),
            ("candle", HistoryUnit::Epoch, 44),
            ("cnn", HistoryUnit::Epoch, 90),
            ("my-own-backend", HistoryUnit::Epoch, 12),
        ]
        .into_iter()
        .enumerate()
        {
            let offset = seed as usize % 3;
            let mut base = run(name, unit, seed, &test, every);
            // Curves apart from each other, as real backends' are; linfa's one point where an
            // L-BFGS fit ends.
            for h in &mut base.history {
                let spread = 1.0 + 0.12 * k as f64;
                h.train_loss *= spread;
                h.validation_loss = h.validation_loss.map(|l| l * spread);
                h.train_accuracy -= 0.01 * k as f64;
                h.validation_accuracy = h.validation_accuracy.map(|a| a - 0.012 * k as f64);
                if unit == HistoryUnit::Iteration {
                    (h.train_loss, h.train_accuracy) = (0.27, 0.936);
                    (h.validation_loss, h.validation_accuracy) = (Some(0.29), Some(0.928));
                }
            }
            let wrong = (0..test.len()).filter(|i| (i + offset).is_multiple_of(every));
            runs.push(wrong_on(base, &test, wrong));
        }
    }
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("six-backends");
    write_report(&runs, &test, (1..=5).collect(), &out);
    // One row of panels under a two-line key (linfa's single point named in it) and one legend
    // row of six entries.
    assert_eq!(
        png_size(&out.join("curves.png")),
        (1400, 50 + 2 * 26 + 6 + 28 + 6 + 460)
    );
    // A slot of 160 pixels per backend beside the axis.
    assert_eq!(png_size(&out.join("accuracy.png")), (110 + 6 * 160, 620));
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(
        md.contains("- **Most accurate:** cnn, 98.9"),
        "{}",
        answer(&md)
    );
}

/// The lines of a summary's answer.
fn answer(md: &str) -> String {
    md.lines()
        .skip_while(|l| !l.starts_with("## The answer"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect::<Vec<_>>()
        .join("\n")
}

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
