//! The command line end to end: bad input gives one clear line, exit status 1, no panic and no
//! report; a real run on the bundled MNIST writes both reports, reproducibly.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mnist_data::idx::{encode_labels, gzip};
use mnist_data::synth;

fn xtask(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(args)
        .env_remove("MNIST_DIR")
        // Keep failing lookups away from the real user cache and the network.
        .env("MNIST_CACHE_DIR", "/nonexistent/mnist-compare-test-cache")
        .env("MNIST_MIRRORS", "http://127.0.0.1:9/")
        .output()
        .expect("xtask runs")
}

/// A fixture folder of valid (synthetic) IDX files.
fn fixture_dir(root: &Path) -> PathBuf {
    let dir = root.join("idx");
    mnist_data::write::write_dir(
        &dir,
        &synth::separable(40, 1),
        &synth::separable(20, 2),
        true,
    )
    .unwrap();
    dir
}

/// Runs `compare` expecting a clean failure whose message contains `expected`, and no report.
fn assert_clean_failure(args: &[&str], out: &Path, expected: &str) {
    assert_one_line_error(args, out, expected);
    assert!(!out.exists(), "{args:?}: a report was written");
}

/// Runs `compare --out out` (one quick scratch epoch unless `args` say otherwise), expecting
/// exit status 1 and one `error:` line that contains `expected`; returns that line.
fn assert_one_line_error(args: &[&str], out: &Path, expected: &str) -> String {
    let mut full = vec!["compare", "--out", out.to_str().unwrap()];
    for (flag, default) in [("--backends", "scratch"), ("--epochs", "1")] {
        if !args.contains(&flag) {
            full.extend([flag, default]);
        }
    }
    full.extend_from_slice(args);
    let result = xtask(&full);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{args:?}: stderr:\n{stderr}");
    let lines: Vec<&str> = stderr.lines().collect();
    assert_eq!(
        lines.len(),
        1,
        "{args:?}: expected one line, got:\n{stderr}"
    );
    assert!(lines[0].starts_with("error: "), "{stderr}");
    assert!(
        stderr.contains(expected),
        "{args:?}: expected {expected:?} in:\n{stderr}"
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    stderr.into_owned()
}

#[test]
fn a_missing_directory_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--data-dir", "/nonexistent/idx"],
        &out,
        "--data-dir /nonexistent/idx: no such directory",
    );
}

/// Runs `compare` on a fixture folder damaged by `damage`, expecting a clean failure.
fn assert_damaged_fixture_fails(damage: impl FnOnce(&Path), expected: &str) {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    damage(&dir);
    let out = tmp.path().join("reports");
    assert_clean_failure(&["--data-dir", dir.to_str().unwrap()], &out, expected);
}

#[test]
fn a_truncated_images_file_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            let raw = mnist_data::idx::encode_images(synth::separable(40, 1).pixels());
            let cut = gzip(&raw[..raw.len() - 500]);
            std::fs::write(dir.join("train-images-idx3-ubyte.gz"), cut).unwrap();
        },
        "train-images-idx3-ubyte.gz: truncated",
    );
}

#[test]
fn a_labels_file_whose_count_disagrees_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            let labels = gzip(&encode_labels(&[3; 19]));
            std::fs::write(dir.join("t10k-labels-idx1-ubyte.gz"), labels).unwrap();
        },
        "t10k-labels-idx1-ubyte.gz: 19 labels, but",
    );
}

#[test]
fn a_file_with_the_wrong_magic_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            // A labels file where the images belong.
            std::fs::copy(
                dir.join("train-labels-idx1-ubyte.gz"),
                dir.join("train-images-idx3-ubyte.gz"),
            )
            .unwrap();
        },
        "expected magic 0x00000803, found 0x00000801",
    );
}

#[test]
fn a_non_gzip_file_named_gz_is_one_clear_error() {
    assert_damaged_fixture_fails(
        |dir| {
            let html = "<html>404 Not Found</html>";
            std::fs::write(dir.join("t10k-images-idx3-ubyte.gz"), html).unwrap();
        },
        "not gzip-compressed",
    );
}

#[test]
fn a_checksum_mismatch_is_one_clear_error() {
    // Synthetic files are valid IDX but not MNIST: only the checksum check can reject them.
    assert_damaged_fixture_fails(|_| {}, "SHA-256 of the decoded bytes is");
}

#[test]
fn an_unknown_backend_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--backends", "nosuch"],
        &out,
        "unknown backend \"nosuch\"; available: scratch",
    );
}

#[test]
fn an_out_that_this_tool_did_not_write_is_refused_before_training() {
    let tmp = tempfile::tempdir().unwrap();
    // A folder of someone's files: replacing it would delete them.
    let theirs = tmp.path().join("thesis");
    std::fs::create_dir_all(&theirs).unwrap();
    std::fs::write(theirs.join("chapter1.tex"), "keep me").unwrap();
    // A file where the folder should go.
    let file = tmp.path().join("notes.txt");
    std::fs::write(&file, "keep me too").unwrap();
    for (out, expected) in [
        (&theirs, "not an earlier output of this tool"),
        (&file, "exists and is not a folder"),
    ] {
        let stderr = assert_one_line_error(&[], out, expected);
        assert!(stderr.starts_with("error: --out: "), "{stderr}");
        // Refused before the data was loaded (which prints "data: ..."), let alone a model
        // trained: the one line is the error.
    }
    assert_eq!(
        std::fs::read_to_string(theirs.join("chapter1.tex")).unwrap(),
        "keep me"
    );
    assert_eq!(std::fs::read_dir(&theirs).unwrap().count(), 1);
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "keep me too");
}

#[test]
fn a_save_models_path_that_is_a_file_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let file = tmp.path().join("models");
    std::fs::write(&file, "not a folder").unwrap();
    assert_clean_failure(
        &["--save-models", file.to_str().unwrap()],
        &tmp.path().join("reports"),
        "--save-models",
    );
    assert_eq!(std::fs::read_to_string(&file).unwrap(), "not a folder");
}

#[test]
fn early_stopping_without_a_validation_set_is_refused_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    // pooled-80-20 holds no validation set out by default.
    assert_clean_failure(
        &[
            "--backends",
            "scratch,burn",
            "--split",
            "pooled-80-20",
            "--set",
            "burn.patience=2",
        ],
        &out,
        "--set burn.patience: early stopping watches the validation loss, and this split holds \
         no validation set out: give --val-fraction above 0",
    );
}

#[test]
fn zero_epochs_is_one_clear_error() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--epochs", "0"],
        &out,
        "--epochs must be at least 1, got 0",
    );
}

#[test]
fn seeds_out_of_range_are_one_clear_error_each() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--seed", "18446744073709551615", "--seeds", "2"],
        &out,
        "--seed 18446744073709551615 with --seeds 2 counts past the largest seed",
    );
    // numpy's RandomState, whose shuffle pooled-80-20 reproduces, takes 32-bit seeds.
    let dir = fixture_dir(tmp.path());
    assert_clean_failure(
        &[
            "--data-dir",
            dir.to_str().unwrap(),
            "--skip-checksum",
            "--split",
            "pooled-80-20",
            "--seed",
            "4294967296",
        ],
        &out,
        "--seed 4294967296 is too large for --split pooled-80-20",
    );
}

#[test]
fn help_explains_every_command_and_the_exit_codes() {
    let help = String::from_utf8(xtask(&["--help"]).stdout).unwrap();
    for expected in [
        "compare",
        "data",
        "bench",
        "split",
        "Exit status",
        "130",
        "another run holds",
        "could not be written",
    ] {
        assert!(help.contains(expected), "missing {expected:?} in:\n{help}");
    }
    let help = String::from_utf8(xtask(&["compare", "--help"]).stdout).unwrap();
    for flag in [
        "--backends",
        "--data-dir",
        "--split",
        "--seed",
        "--seeds",
        "--epochs",
        "--out",
        "--skip-checksum",
    ] {
        assert!(help.contains(flag), "missing {flag} in compare --help");
    }
}

#[test]
fn synthetic_data_with_skip_checksum_trains_and_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    let out = tmp.path().join("reports");
    let result = xtask(&[
        "compare",
        "--data-dir",
        dir.to_str().unwrap(),
        "--skip-checksum",
        "--class-names",
        "zero, one,two,three,four,five,six,seven,eight,nine",
        "--backends",
        "scratch",
        "--epochs",
        "2",
        "--out",
        out.to_str().unwrap(),
    ]);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(summary.contains("| scratch |"), "{summary}");
    // Unverified data is not called MNIST, and its classes carry the names given.
    assert!(
        summary.starts_with("# unverified 28x28 IDX data: scratch compared"),
        "{summary}"
    );
    assert!(summary.contains("unverified checksums"), "{summary}");
    assert!(
        summary.contains("| one |") && summary.contains("| nine |"),
        "{summary}"
    );
    assert!(!summary.contains("digit"), "{summary}");
    // Provenance: the versions of the compiler and the main crates, the build's features, and
    // a command that can be typed again as it is (the temporary folders quoted where needed).
    let versions = summary
        .lines()
        .find(|l| l.starts_with("- Versions: rustc "))
        .unwrap_or_else(|| panic!("no versions line: {summary}"));
    for krate in [
        "burn",
        "linfa",
        "linfa-logistic",
        "ndarray",
        "polars",
        "plotters",
    ] {
        assert!(versions.contains(&format!(" {krate} 0.")), "{versions}");
    }
    let features = summary
        .lines()
        .find(|l| l.starts_with("- Cargo features: "))
        .unwrap_or_else(|| panic!("no features line: {summary}"));
    for (feature, on) in [
        ("blis", cfg!(feature = "blis")),
        ("flex", cfg!(feature = "flex")),
        ("cuda", cfg!(feature = "cuda")),
        ("wgpu", cfg!(feature = "wgpu")),
    ] {
        assert_eq!(features.contains(feature), on, "{feature}: {features}");
    }
    // How the cargo invocation follows the build is unit-tested (provenance.rs); here, that the
    // arguments follow it.
    assert!(summary.contains(" compare --data-dir "), "{summary}");
    assert!(
        summary.contains("--class-names 'zero, one,two,three,four,five,six,seven,eight,nine'"),
        "{summary}"
    );
}

#[test]
fn a_download_timeout_that_is_not_a_number_is_one_clear_error() {
    let result = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["data", "--dataset", "fashion-mnist"])
        .env("MNIST_DOWNLOAD_TIMEOUT", "soon")
        .env("MNIST_CACHE_DIR", "/nonexistent/mnist-compare-test-cache")
        .env("MNIST_MIRRORS", "http://127.0.0.1:9/")
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(1), "{stderr}");
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.starts_with("error: MNIST_DOWNLOAD_TIMEOUT=\"soon\": expected the seconds"),
        "{stderr}"
    );
}

#[test]
fn an_unknown_dataset_lists_the_known_ones() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    assert_clean_failure(
        &["--dataset", "nosuch"],
        &out,
        "--dataset: unknown dataset \"nosuch\"; known datasets: mnist (MNIST, handwritten digits), \
         fashion-mnist (Fashion-MNIST, Zalando's clothing images)",
    );
}

#[test]
fn class_names_must_be_ten_and_are_checked_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    // One line, the error: the data was not even read (that would print "data: ...").
    assert_clean_failure(
        &["--class-names", "a,b,c,d,e,f,g,h,i"],
        &out,
        "--class-names: 9 names given, expected 10 (one per label 0-9, comma-separated)",
    );
    assert_clean_failure(
        &["--class-names", "a,b,c,d,,f,g,h,i,j"],
        &out,
        "--class-names: the name of label 4 is empty",
    );
}

#[test]
fn another_datasets_files_are_named_with_the_flag_to_use() {
    // The bundled MNIST given as Fashion-MNIST: the checksums say what the files are. (The
    // other way round, Fashion-MNIST files in MNIST mode, takes files CI does not have; the
    // data crate tests it with two synthetic datasets.)
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let bundled = mnist_data::source::bundled_dir();
    assert_clean_failure(
        &[
            "--dataset",
            "fashion-mnist",
            "--data-dir",
            bundled.to_str().unwrap(),
        ],
        &out,
        "these are the MNIST files (all four checksums match), not Fashion-MNIST; pass --dataset mnist",
    );
}

#[test]
fn split_exports_the_comparison_split_as_idx_files() {
    use mnist_data::idx::{IdxKind, read_idx};
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    let out = tmp.path().join("split");
    let export = |out: &Path| {
        xtask(&[
            "split",
            "--data-dir",
            dir.to_str().unwrap(),
            "--skip-checksum",
            "--split",
            "pooled-80-20",
            "--val-fraction",
            "0.25",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ])
    };
    let result = export(&out);
    assert!(
        result.status.success(),
        "{}",
        String::from_utf8_lossy(&result.stderr)
    );
    // 60 pooled images: 12 test, and 48 training of which 12 held out for validation.
    let spec = mnist_data::SplitSpec {
        kind: mnist_data::SplitKind::Pooled8020,
        seed: 7,
        validation_fraction: 0.25,
    };
    let expected =
        mnist_data::Split::new(&synth::separable(40, 1), &synth::separable(20, 2), spec).unwrap();
    for (prefix, part) in [
        ("train", &expected.train),
        ("validation", &expected.validation),
        ("t10k", &expected.test),
    ] {
        let images = read_idx(
            &out.join(format!("{prefix}-images-idx3-ubyte")),
            IdxKind::Images,
        )
        .unwrap();
        let labels = read_idx(
            &out.join(format!("{prefix}-labels-idx1-ubyte")),
            IdxKind::Labels,
        )
        .unwrap();
        assert_eq!(images.data, part.pixels(), "{prefix} images");
        assert_eq!(labels.data, part.labels(), "{prefix} labels");
    }
    assert_eq!(
        (
            expected.train.len(),
            expected.validation.len(),
            expected.test.len()
        ),
        (36, 12, 12)
    );
    // An existing folder is never overwritten.
    let again = export(&out);
    assert_eq!(again.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&again.stderr);
    assert!(stderr.contains("already exists"), "{stderr}");
}

/// Without `--val-fraction`, `standard` holds 10% of the training file out and `pooled-80-20`
/// none (the notebook trained on its whole 80%); the flag overrides either.
#[test]
fn the_default_validation_fraction_follows_the_split() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    let sizes = |name: &str, extra: &[&str]| {
        let out = tmp.path().join(name);
        let mut args = vec![
            "split",
            "--data-dir",
            dir.to_str().unwrap(),
            "--skip-checksum",
            "--out",
            out.to_str().unwrap(),
        ];
        args.extend_from_slice(extra);
        let result = xtask(&args);
        let stdout = String::from_utf8_lossy(&result.stdout);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let count = |part: &str| {
            read_idx_count(&out.join(format!("{part}-labels-idx1-ubyte"))).unwrap_or(0)
        };
        (
            count("train"),
            count("validation"),
            count("t10k"),
            stdout.to_string(),
        )
    };
    // 40 training-file images and 20 test-file images.
    let (train, val, test, _) = sizes("standard", &[]);
    assert_eq!((train, val, test), (36, 4, 20));
    let (train, val, test, stdout) = sizes("pooled", &["--split", "pooled-80-20"]);
    assert_eq!((train, val, test), (48, 0, 12), "{stdout}");
    let (train, val, test, _) = sizes(
        "pooled-val",
        &["--split", "pooled-80-20", "--val-fraction", "0.25"],
    );
    assert_eq!((train, val, test), (36, 12, 12));
}

/// Number of labels in an IDX labels file, or `None` when it does not exist.
fn read_idx_count(path: &Path) -> Option<usize> {
    use mnist_data::idx::{IdxKind, read_idx};
    path.exists()
        .then(|| read_idx(path, IdxKind::Labels).unwrap().data.len())
}

/// The real-data check of CI: the bundled MNIST, one scratch epoch, twice with the same seed.
#[test]
fn real_mnist_compare_is_reproducible_and_writes_both_reports() {
    let tmp = tempfile::tempdir().unwrap();
    let run = |name: &str| {
        let out = tmp.path().join(name);
        let result = xtask(&[
            "compare",
            "--backends",
            "scratch",
            "--epochs",
            "1",
            "--seed",
            "7",
            "--out",
            out.to_str().unwrap(),
        ]);
        assert!(
            result.status.success(),
            "{}",
            String::from_utf8_lossy(&result.stderr)
        );
        let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
        // The provenance names the bundled copy relative to the workspace, not by this
        // machine's absolute path.
        assert!(
            md.contains(
                "- Data: MNIST, bundled copy crates/mnist-data/data (verified SHA-256 checksums)"
            ),
            "{md}"
        );
        let json: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap())
                .unwrap();
        json
    };
    let (a, b) = (run("a"), run("b"));
    let metrics = |v: &serde_json::Value| {
        let run = &v["runs"][0];
        assert_eq!(run["status"]["state"], "ok");
        let m = &run["metrics"];
        let history: Vec<_> = run["history"]
            .as_array()
            .unwrap()
            .iter()
            .map(|h| (h["train_loss"].clone(), h["validation_accuracy"].clone()))
            .collect();
        (
            m["test_accuracy"].clone(),
            m["train_accuracy"].clone(),
            m["test_predictions"].clone(),
            history,
        )
    };
    assert_eq!(metrics(&a), metrics(&b));
    let test_accuracy = a["runs"][0]["metrics"]["test_accuracy"].as_f64().unwrap();
    assert!(
        test_accuracy > 0.93,
        "one epoch on real MNIST reached only {test_accuracy}"
    );
    assert_eq!(
        a["provenance"]["split_sizes"],
        serde_json::json!([54000, 6000, 10000])
    );
}

#[test]
fn a_diverging_backend_is_a_failed_row_while_the_others_are_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = fixture_dir(tmp.path());
    let out = tmp.path().join("reports");
    let result = xtask(&[
        "compare",
        "--data-dir",
        dir.to_str().unwrap(),
        "--skip-checksum",
        "--backends",
        "scratch,linfa",
        "--lr",
        "1e6",
        "--out",
        out.to_str().unwrap(),
    ]);
    let stderr = String::from_utf8_lossy(&result.stderr);
    assert_eq!(result.status.code(), Some(2), "{stderr}");
    assert!(stderr.contains("1 of 2 runs failed"), "{stderr}");
    let summary = std::fs::read_to_string(out.join("summary.md")).unwrap();
    let row = |name: &str| {
        summary
            .lines()
            .find(|l| l.starts_with(&format!("| {name} |")))
            .unwrap_or_else(|| panic!("no {name} row in:\n{summary}"))
            .to_string()
    };
    assert!(
        row("scratch").contains("failed: diverged: the training loss reached"),
        "{}",
        row("scratch")
    );
    assert!(row("linfa").ends_with("| ok |"), "{}", row("linfa"));
    let results: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("results.json")).unwrap()).unwrap();
    assert_eq!(results["runs"][0]["status"]["state"], "failed");
    assert_eq!(results["runs"][1]["status"]["state"], "ok");
}

/// Ctrl-C in the middle of a comparison: the run stops within seconds, says what had finished,
/// exits with 130, and the previous report is left exactly as it was.
#[test]
fn sigint_stops_promptly_and_keeps_the_previous_report() {
    use std::io::{BufRead, BufReader};
    use std::time::{Duration, Instant};

    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    std::fs::create_dir_all(&out).unwrap();
    std::fs::write(out.join("summary.md"), "previous report\n").unwrap();
    std::fs::write(out.join(report::MARKER), "").unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args([
            "compare",
            "--backends",
            "scratch,burn",
            "--out",
            out.to_str().unwrap(),
        ])
        .env_remove("MNIST_DIR")
        .stderr(std::process::Stdio::piped())
        .stdout(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let (lines_tx, lines_rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            if lines_tx.send(line).is_err() {
                break;
            }
        }
    });
    // Wait until scratch has finished and burn has completed an epoch.
    let mut seen = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(240);
    while !seen
        .iter()
        .any(|l: &String| l.contains("burn seed 42 epoch"))
    {
        let line = lines_rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| {
                panic!(
                    "no burn epoch before the deadline; stderr so far:\n{}",
                    seen.join("\n")
                )
            });
        seen.push(line);
    }
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    let status = child.wait().unwrap();
    let stopped_after = sent.elapsed();
    seen.extend(lines_rx.try_iter());
    let text = seen.join("\n");
    assert_eq!(status.code(), Some(130), "{text}");
    assert!(
        stopped_after < Duration::from_secs(10),
        "took {stopped_after:?} to stop"
    );
    assert!(text.contains("interrupted: no report written"), "{text}");
    assert!(text.contains("runs that had finished:"), "{text}");
    assert!(
        text.lines().any(|l| l.contains("scratch seed 42: test")),
        "{text}"
    );
    assert_eq!(
        std::fs::read_to_string(out.join("summary.md")).unwrap(),
        "previous report\n"
    );
    assert_eq!(std::fs::read_dir(&out).unwrap().count(), 2);
}

/// A fixture large enough for the benchmarks' models to learn within an epoch or two.
fn bench_fixture(root: &Path) -> PathBuf {
    let dir = root.join("idx");
    mnist_data::write::write_dir(
        &dir,
        &synth::separable(600, 1),
        &synth::separable(200, 2),
        true,
    )
    .unwrap();
    dir
}

/// A stand-in for Python that answers as the reference twins do, with canned figures: the NumPy
/// twin reports two epochs, the scikit-learn twin says its package is missing. It checks that it
/// was handed an exported split and logs its arguments.
fn stand_in_python(root: &Path) -> PathBuf {
    let path = root.join("fake-python");
    let log = root.join("calls.log");
    let script = format!(
        r#"#!/bin/sh
echo "$@" >> '{log}'
[ -f "$2/train-images-idx3-ubyte" ] && [ -f "$2/t10k-labels-idx1-ubyte" ] || {{ echo "no split in $2" >&2; exit 1; }}
case "$(basename "$1")" in
  numpy_mlp.py)
    echo 'numpy says hello'
    echo '{{"twin": "numpy-mlp", "seconds": [0.5, 0.4], "unit": "epoch", "test_accuracy": 0.9, "versions": {{"numpy": "9.9"}}, "threads": 2, "blas": [{{"internal_api": "openblas", "version": "0.3.99", "architecture": "Zen", "num_threads": 2}}]}}' ;;
  *)
    echo '{{"twin": "sklearn-logistic", "error": "missing Python package sklearn: pip install scikit-learn"}}'
    exit 3 ;;
esac
"#,
        log = log.display()
    );
    std::fs::write(&path, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    path
}

/// Runs `cargo xtask bench ARGS --data-dir <bench fixture> --skip-checksum --out tmp/bench`,
/// asserts its exit status and returns its stdout and stderr.
fn bench_reference(tmp: &Path, args: &[&str], status: i32) -> (String, String) {
    let dir = bench_fixture(tmp);
    let out = tmp.join("bench");
    let mut full = vec!["bench"];
    full.extend_from_slice(args);
    full.extend([
        "--data-dir",
        dir.to_str().unwrap(),
        "--skip-checksum",
        "--out",
        out.to_str().unwrap(),
    ]);
    let result = xtask(&full);
    let stdout = String::from_utf8_lossy(&result.stdout).into_owned();
    let stderr = String::from_utf8_lossy(&result.stderr).into_owned();
    assert_eq!(result.status.code(), Some(status), "{stdout}\n{stderr}");
    (stdout, stderr)
}

#[test]
fn bench_reference_alternates_with_the_twin_and_tabulates_its_figures() {
    let tmp = tempfile::tempdir().unwrap();
    let python = stand_in_python(tmp.path());
    let (stdout, _stderr) = bench_reference(
        tmp.path(),
        &[
            "scratch-epoch",
            "--reference",
            python.to_str().unwrap(),
            "--rounds",
            "2",
            "--epochs",
            "2",
        ],
        0,
    );
    // Both NumPy rows (f32 and the notebook's f64) with the stand-in's median of 0.5 and 0.4.
    for row in [
        "| scratch | NumPy f32 (same precision) | epoch |",
        "| scratch | NumPy f64 (the notebook's float64) | epoch |",
    ] {
        let line = stdout
            .lines()
            .find(|l| l.starts_with(row))
            .unwrap_or_else(|| panic!("no row {row:?} in:\n{stdout}"));
        assert!(line.contains("| 0.450 s |"), "{line}");
        assert!(line.contains("| 90.00% ± 0.00 (n=2) |"), "{line}");
        assert!(
            line.contains("x faster |") || line.contains("x slower |"),
            "{line}"
        );
    }
    assert!(stdout.contains("numpy 9.9; 2 threads; BLAS openblas 0.3.99 kernel Zen (2 threads)"));
    // Alternated: two rounds, model seeds 42 and 43, each twin once per round.
    let calls = std::fs::read_to_string(tmp.path().join("calls.log")).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 4, "{calls:?}");
    assert!(
        calls[0].contains("numpy_mlp.py")
            && calls[0].contains("--seed 42 --epochs 2 --dtype float32 --hidden 128"),
        "{calls:?}"
    );
    assert!(calls[1].contains("--seed 42 --epochs 2 --dtype float64"));
    assert!(calls[2].contains("--seed 43 --epochs 2 --dtype float32"));
    // Written as markdown and JSON.
    let out = tmp.path().join("bench");
    let md = std::fs::read_to_string(out.join("reference.md")).unwrap();
    assert!(md.contains("| scratch | NumPy f32 (same precision) |"));
    let json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(out.join("reference.json")).unwrap())
            .unwrap();
    let rows = json["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0]["twin_side"]["seconds"].as_array().unwrap().len(), 2);
    assert_eq!(
        rows[0]["rust_side"]["test_accuracy"]
            .as_array()
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn several_workloads_are_alternated_in_one_run_and_one_alone_without_reference() {
    let tmp = tempfile::tempdir().unwrap();
    let python = stand_in_python(tmp.path());
    // The stand-in knows only NumPy: the burn MLP's twins say their package is missing (exit 2).
    let (stdout, _stderr) = bench_reference(
        tmp.path(),
        &[
            "scratch-epoch",
            "burn-epoch",
            "--reference",
            python.to_str().unwrap(),
            "--rounds",
            "2",
            "--epochs",
            "1",
        ],
        2,
    );
    let calls = std::fs::read_to_string(tmp.path().join("calls.log")).unwrap();
    let scripts: Vec<&str> = calls
        .lines()
        .map(|l| l.split_whitespace().next().unwrap_or(""))
        .map(|s| s.rsplit('/').next().unwrap_or(s))
        .collect();
    // Round 1: scratch's twins, then burn's; round 2: scratch's again (a twin whose package is
    // missing is not asked again).
    let numpy = ["numpy_mlp.py", "numpy_mlp.py"];
    let round_1 = [&numpy[..], &["torch_mlp.py", "keras_mlp.py"]].concat();
    assert_eq!(scripts, [&round_1[..], &numpy[..]].concat(), "{calls}");
    assert!(
        calls.lines().nth(4).unwrap().contains("--seed 43"),
        "{calls}"
    );
    for row in ["| scratch | NumPy f32", "| burn ndarray | PyTorch"] {
        assert!(stdout.contains(row), "no row {row:?} in:\n{stdout}");
    }
    // Without --reference, one workload at a time.
    let out = xtask(&["bench", "scratch-epoch", "burn-epoch"]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("one workload at a time") && stderr.contains("--reference"),
        "{stderr}"
    );
}

#[test]
fn bench_reference_names_a_missing_package_and_still_measures_rust() {
    let tmp = tempfile::tempdir().unwrap();
    let python = stand_in_python(tmp.path());
    let (stdout, stderr) = bench_reference(
        tmp.path(),
        &[
            "linfa-fit",
            "--reference",
            python.to_str().unwrap(),
            "--rounds",
            "2",
        ],
        2,
    );
    let missing = "missing Python package sklearn: pip install scikit-learn";
    // Said once, though three rows and two rounds wanted the twin.
    assert_eq!(stderr.matches(missing).count(), 1, "{stderr}");
    let line = stdout
        .lines()
        .find(|l| l.starts_with("| linfa f32 | scikit-learn f32"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(
        line.contains(" s | — | — |"),
        "Rust timed, twin absent: {line}"
    );
    assert!(line.contains("(n=2)"), "{line}");
}

#[test]
fn bench_reference_with_a_missing_interpreter_says_what_to_install() {
    let tmp = tempfile::tempdir().unwrap();
    let (stdout, stderr) = bench_reference(
        tmp.path(),
        &[
            "scratch-epoch",
            "--reference",
            "/nonexistent/python3",
            "--rounds",
            "1",
            "--epochs",
            "2",
        ],
        2,
    );
    let complaints: Vec<&str> = stderr
        .lines()
        .filter(|l| l.contains("/nonexistent/python3"))
        .collect();
    assert_eq!(complaints.len(), 1, "{stderr}");
    assert!(complaints[0].contains("cannot run it"), "{stderr}");
    assert!(
        complaints[0].contains("pip install numpy scikit-learn torch tensorflow-cpu threadpoolctl"),
        "{stderr}"
    );
    // The Rust side is still measured and printed.
    let line = stdout
        .lines()
        .find(|l| l.starts_with("| scratch | NumPy f32"))
        .unwrap_or_else(|| panic!("{stdout}"));
    assert!(line.contains(" s | — |"), "{line}");
}

/// In a build without the candle backend, naming it (to run, or in a setting) is one error naming
/// the cargo feature, with the command that works, before anything trains; with it, candle is in
/// the default run's list.
#[test]
fn an_optional_backend_is_named_with_its_cargo_feature_in_a_build_without_it() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    if cfg!(feature = "candle") {
        let help = xtask(&["compare", "--help"]);
        let help = String::from_utf8_lossy(&help.stdout);
        assert!(help.contains("candle.device"), "{help}");
        return;
    }
    let missing = "the candle backend is not compiled into this build; rebuild with the `candle` \
                   cargo feature";
    let line = assert_one_line_error(
        &["--backends", "scratch,candle"],
        &out,
        &format!("--backends candle: {missing}"),
    );
    assert!(
        line.contains("the same command with it: ") && line.contains("--features candle"),
        "{line}"
    );
    assert_clean_failure(
        &["--set", "candle.hidden=32"],
        &out,
        &format!("--set candle.hidden: {missing}"),
    );
    assert!(!out.exists());
    let list = xtask(&["bench", "--list"]);
    let list = String::from_utf8_lossy(&list.stdout);
    assert!(list.contains(&format!("Not listed: {missing}.")), "{list}");
    let timed = xtask(&["bench", "candle-epoch"]);
    let stderr = String::from_utf8_lossy(&timed.stderr);
    assert_eq!(timed.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("unknown workload \"candle-epoch\"") && stderr.contains(missing),
        "{stderr}"
    );
}

/// In a build without Flex, naming it (for burn, or through the cnn's default device) is one
/// error naming the cargo feature that brings it, before anything trains.
#[cfg(not(feature = "flex"))]
#[test]
fn a_device_not_compiled_in_is_named_with_its_cargo_feature() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    let missing = "the flex device is not compiled into this build; rebuild with the `flex` \
                   cargo feature";
    // Set on a backend that is not selected (the helper runs scratch alone): checked all the same.
    assert_clean_failure(
        &["--burn-device", "flex"],
        &out,
        &format!("--set burn.device: cannot use \"flex\": {missing}"),
    );
    // The cnn's default device: said to be the default, not blamed on a --set nobody typed,
    // and the command that works given, with the arguments as typed.
    for backends in ["cnn", "all"] {
        let line = assert_one_line_error(
            &["--backends", backends],
            &out,
            &format!("cnn.device is \"flex\" by default, which this build cannot use: {missing}"),
        );
        assert!(!out.exists());
        let works = line
            .split_once("the same command with it: ")
            .map(|(_, c)| c.trim_end())
            .unwrap_or_else(|| panic!("no command in {line}"));
        // The alias in a release build with the default features (as CI's); spelled out in a
        // debug one, or with another feature (candle) beside flex.
        let spelled_out = if cfg!(feature = "candle") {
            "cargo run --release -p xtask --features candle,flex -- compare --out "
        } else {
            "cargo run -p xtask --features flex -- compare --out "
        };
        assert!(
            works.starts_with("cargo xtask-flex compare --out ") || works.starts_with(spelled_out),
            "{works}"
        );
        assert!(
            works.ends_with(&format!("--backends {backends}")),
            "{works}"
        );
    }
}

#[test]
fn a_bad_backend_setting_is_one_clear_error_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let out = tmp.path().join("reports");
    for (set, expected) in [
        (
            "burn.device=gpu",
            "--set burn.device: cannot use \"gpu\": unknown burn device \"gpu\"",
        ),
        (
            "burn.colour=red",
            "--set burn.colour: burn has no setting \"colour\"; its settings: device, hidden, dropout",
        ),
        (
            "scratch.hidden=128,0",
            "--set scratch.hidden: give one or more positive widths",
        ),
        (
            "nosuch.x=1",
            "--set nosuch.x: unknown backend \"nosuch\"; available: scratch, linfa, burn",
        ),
        (
            "burndevice",
            "--set burndevice: expected BACKEND.SETTING=VALUE",
        ),
    ] {
        // A setting of a backend that is not selected is checked too.
        assert_clean_failure(&["--set", set], &out, expected);
    }
    // The per-backend flags are aliases of --set, with the same errors.
    assert_clean_failure(
        &["--hidden", "0"],
        &out,
        "--set scratch.hidden: give one or more positive widths",
    );
    let help = String::from_utf8(xtask(&["compare", "--help"]).stdout).unwrap();
    assert!(
        help.contains("burn.device (default ndarray)")
            && help.contains("scratch.hidden (default 128)"),
        "{help}"
    );
}

/// `bench --list` names every workload the backends declare, with each variant's model and
/// twins, or the cargo feature a variant needs.
#[test]
fn bench_list_names_the_declared_workloads_their_variants_and_twins() {
    let result = xtask(&["bench", "--list"]);
    let stdout = String::from_utf8_lossy(&result.stdout);
    assert!(result.status.success(), "{stdout}");
    for workload in ["scratch-epoch", "linfa-fit", "burn-epoch", "cnn-epoch"] {
        assert!(stdout.contains(&format!("{workload} (")), "{stdout}");
    }
    assert!(
        stdout.contains("- scratch: MLP 784-128-10")
            && stdout.contains("twins: NumPy f32, NumPy f64"),
        "{stdout}"
    );
    let flex_line = stdout
        .lines()
        .find(|l| l.contains("- burn flex"))
        .unwrap_or_else(|| panic!("{stdout}"));
    if cfg!(feature = "flex") {
        assert!(flex_line.contains("twins: PyTorch, Keras"), "{flex_line}");
    } else {
        assert!(
            flex_line.contains("needs the `flex` cargo feature"),
            "{flex_line}"
        );
    }
}
