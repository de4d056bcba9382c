//! What the report's tests share: synthetic run records and provenance, the report rendered and
//! written into a folder, and readers of its files and sections.

// Each test file uses its own part of these helpers.
#![allow(dead_code)]

use std::collections::BTreeMap;
use std::path::Path;

use bench_core::{EpochStats, HistoryUnit, Hyperparams, Metrics, RunRecord, RunStatus};
use mnist_data::{Dataset, N_CLASSES};
use report::{DatasetLabels, Provenance, Report};

/// A run whose predictions are right except on every `wrong_every`-th image (offset by seed).
pub fn run(
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

/// A run of `backend` that diverged: no metrics, one epoch of history.
pub fn failed(backend: &str, seed: u64, test: &Dataset) -> RunRecord {
    let mut r = run(backend, HistoryUnit::Epoch, seed, test, 3);
    r.status = RunStatus::Failed {
        reason: "diverged: loss became NaN in epoch 2 (try a smaller --lr)".into(),
    };
    r.metrics = None;
    r.history.truncate(1);
    r
}

/// The provenance of a report on synthetic data with model seeds `seeds`.
pub fn provenance(seeds: Vec<u64>) -> Provenance {
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
        parts: Vec::new(),
    }
}

/// scratch, linfa (no epochs) and burn, at seeds 42 and 43.
pub fn two_seeds(test: &Dataset) -> Vec<RunRecord> {
    let mut runs = Vec::new();
    for seed in [42, 43] {
        runs.push(run("scratch", HistoryUnit::Epoch, seed, test, 20));
        runs.push(run("linfa", HistoryUnit::Iteration, seed, test, 8));
        runs.push(run("burn", HistoryUnit::Epoch, seed, test, 25));
    }
    runs
}

/// A dataset with long class names: Fashion-MNIST's.
pub fn clothing() -> DatasetLabels {
    DatasetLabels {
        title: "Clothing-Test".into(),
        class_noun: "class".into(),
        class_names: mnist_data::FASHION_MNIST
            .class_names
            .map(String::from)
            .to_vec(),
    }
}

/// Five seeds of each backend, `wrong_every` setting each one's error rate.
pub fn five_seeds(test: &Dataset, backends: &[(&str, usize)]) -> Vec<RunRecord> {
    let mut runs = Vec::new();
    for seed in 1..=5 {
        for &(name, wrong_every) in backends {
            runs.push(run(name, HistoryUnit::Epoch, seed, test, wrong_every));
        }
    }
    runs
}

/// `r` with its predictions right on every test image but those in `wrong`.
pub fn wrong_on(mut r: RunRecord, test: &Dataset, wrong: impl Iterator<Item = usize>) -> RunRecord {
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

/// Five seeds: good errs on 2% of the images plus a few that change with the seed, bad on 20%
/// plus a few, twin as often as good on average but on other images.
pub fn noisy_five_seeds(test: &Dataset) -> Vec<RunRecord> {
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

/// Renders `report` and writes its files into `out` (created if missing); returns their paths,
/// relative to `out`, in the order `render` gave them.
pub fn write(report: &Report<'_>, out: &Path) -> Vec<String> {
    let files = report::render(report).unwrap();
    std::fs::create_dir_all(out).unwrap();
    for f in &files {
        std::fs::write(out.join(&f.path), &f.bytes).unwrap();
    }
    files.iter().map(|f| f.path.display().to_string()).collect()
}

/// Writes the report of `runs` (model seeds `seeds`) into `out`.
pub fn write_report(runs: &[RunRecord], test: &Dataset, seeds: Vec<u64>, out: &Path) {
    let prov = provenance(seeds);
    let report = Report {
        runs,
        test,
        provenance: &prov,
        not_saved: &[],
        baseline: None,
    };
    write(&report, out);
}

/// The width and height of the PNG at `path`.
pub fn png_size(path: &Path) -> (u32, u32) {
    let img = image::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    (img.width(), img.height())
}

/// The header of the CSV at `path`, and how many rows follow it.
pub fn csv_header(path: &Path) -> (Vec<String>, usize) {
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

/// The report of `runs`: `summary.md`, `across-seeds.csv` and `summary.csv`.
pub fn summary_of(runs: &[RunRecord], test: &Dataset, seeds: Vec<u64>) -> (String, String, String) {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("r");
    write_report(runs, test, seeds, &out);
    (
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        std::fs::read_to_string(out.join("across-seeds.csv")).unwrap(),
        std::fs::read_to_string(out.join("summary.csv")).unwrap(),
    )
}

/// The verdict lines of a summary.
pub fn verdicts(md: &str) -> Vec<&str> {
    md.lines()
        .skip_while(|l| !l.starts_with("## Which differences are real?"))
        .take_while(|l| !l.starts_with("## Learning curves"))
        .filter(|l| l.starts_with("- "))
        .collect()
}

/// The lines of a summary's answer.
pub fn answer(md: &str) -> String {
    md.lines()
        .skip_while(|l| !l.starts_with("## The answer"))
        .skip(1)
        .take_while(|l| !l.starts_with("## "))
        .collect::<Vec<_>>()
        .join("\n")
}
