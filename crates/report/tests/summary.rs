//! What `summary.md` says of the runs: failures with their reason, the dataset's own words, the
//! backends' notes, and one seed for every backend's pictures.

// Tests fail by panicking.
#![allow(clippy::unwrap_used)]

mod common;

use bench_core::HistoryUnit;
use common::{clothing, failed, png_size, provenance, run, two_seeds, write, write_report};
use mnist_data::synth;
use report::Report;

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
        not_saved: &[],
        baseline: None,
    };
    write(&report, &out);
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
        not_saved: &[],
        baseline: None,
    };
    write(&report, &out);
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
        not_saved: &[],
        baseline: None,
    };
    write(&report, &out);
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
fn models_that_could_not_be_saved_are_named_first_and_only_then() {
    let test = synth::separable(100, 3);
    let runs = vec![run("scratch", HistoryUnit::Epoch, 1, &test, 10)];
    let prov = provenance(vec![1]);
    let tmp = tempfile::tempdir().unwrap();
    let not_saved = vec!["models/mnist-scratch-seed1: not saved: disk full".to_string()];
    let out = tmp.path().join("r");
    let report = Report {
        runs: &runs,
        test: &test,
        provenance: &prov,
        not_saved: &not_saved,
        baseline: None,
    };
    write(&report, &out);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let section = md.find("## Models not saved").expect("the section");
    let first_other = md.find("\n## ").unwrap();
    assert_eq!(section, first_other + 1, "not the first section:\n{md}");
    assert!(
        md.contains("- models/mnist-scratch-seed1: not saved: disk full\n"),
        "{md}"
    );
    // Every model saved: no such section.
    let out = tmp.path().join("saved");
    write_report(&runs, &test, vec![1], &out);
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(!md.contains("not saved"), "{md}");
}

#[test]
fn a_merged_report_lists_its_shards_and_says_when_their_cpus_differ() {
    let test = synth::separable(100, 3);
    let runs = two_seeds(&test);
    let part = |shard: &str, cpu: &str| report::PartProvenance {
        shard: shard.into(),
        folder: format!("parts/{shard}"),
        cpu: cpu.into(),
        build: "release".into(),
        started: "2026-11-27 00:00:00 UTC".into(),
        total_seconds: 6.0,
        host: format!("node-{cpu}"),
        concurrent: false,
    };
    let summary = |parts: Vec<report::PartProvenance>| {
        let mut prov = provenance(vec![42, 43]);
        prov.parts = parts;
        let tmp = tempfile::tempdir().unwrap();
        let out = tmp.path().join("r");
        let report = Report {
            runs: &runs,
            test: &test,
            provenance: &prov,
            not_saved: &[],
            baseline: None,
        };
        write(&report, &out);
        std::fs::read_to_string(out.join("summary.md")).unwrap()
    };
    let same = summary(vec![part("1/2", "test CPU"), part("2/2", "test CPU")]);
    assert!(same.contains("- Merged from 2 shards"), "{same}");
    // Measuring's share is of the shards' time, not of the merge's.
    assert!(same.contains(" s of the shards' summed "), "{same}");
    assert!(
        same.contains("  - shard 2/2 (`parts/2/2`): test CPU on host node-test CPU; started"),
        "{same}"
    );
    assert!(!same.contains("different CPUs"), "{same}");
    assert!(!same.contains("at the same time"), "{same}");
    let mut shared = vec![part("1/2", "test CPU"), part("2/2", "test CPU")];
    for p in &mut shared {
        p.concurrent = true;
    }
    let shared = summary(shared);
    assert!(
        shared.contains(
            "**Shards 1/2 and 2/2 each ran at the same time as another shard on the same machine**"
        ),
        "{shared}"
    );
    let mixed = summary(vec![part("1/2", "test CPU"), part("2/2", "other CPU")]);
    assert!(
        mixed.contains("**The shards ran on 2 different CPUs.**"),
        "{mixed}"
    );
    // A report made in one run says nothing of shards.
    let whole = summary(Vec::new());
    assert!(!whole.contains("Merged from"), "{whole}");
    assert!(whole.contains(" s of this command's "), "{whole}");
}
