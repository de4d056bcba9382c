//! `bench`: the declared workloads listed, and `--reference` alternating each Rust variant with
//! its Python twins (here a stand-in interpreter with canned figures), tabulating both sides, and
//! naming a missing package or interpreter while still measuring Rust.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};

use mnist_data::synth;

mod common;
use common::xtask;

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
    for row in [
        "| scratch | NumPy f32",
        "| burn ndarray, tuned | PyTorch",
        "| burn ndarray, as shipped | PyTorch",
    ] {
        assert!(stdout.contains(row), "no row {row:?} in:\n{stdout}");
    }
    // "As shipped" ran in a process of its own each round, with glibc's default allocator, and
    // measured both rounds; "tuned" ran in this process.
    let json: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(tmp.path().join("bench").join("reference.json")).unwrap(),
    )
    .unwrap();
    let row = |label: &str| {
        json["rows"]
            .as_array()
            .unwrap()
            .iter()
            .find(|r| r["rust"] == label)
            .unwrap_or_else(|| panic!("no row {label}"))
            .clone()
    };
    let shipped = row("burn ndarray, as shipped");
    assert!(shipped["rust_side"]["failure"].is_null(), "{shipped}");
    assert_eq!(shipped["rust_side"]["seconds"].as_array().unwrap().len(), 2);
    assert_eq!(shipped["rust_own_process"], true);
    assert_eq!(
        shipped["rust_allocator"],
        "the C library's malloc with its defaults"
    );
    let tuned = row("burn ndarray, tuned");
    assert_eq!(tuned["rust_own_process"], false);
    assert_eq!(tuned["rust_side"]["seconds"].as_array().unwrap().len(), 2);
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

#[test]
fn bench_alone_is_refused_without_the_variants_environment_or_with_a_request_it_cannot_read() {
    let request = r#"{"workload":"burn-epoch","variant":"burn ndarray, as shipped","model_seed":42,"epochs":1}"#;
    let out = xtask(&["bench", "burn-epoch", "--alone", request]);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(1), "{stderr}");
    assert!(
        stderr.contains("burn ndarray, as shipped needs MNIST_COMPARE_MALLOC=default"),
        "{stderr}"
    );
    for junk in [
        "junk",
        r#"{"workload":"burn-epoch","variant":"no such","model_seed":1}"#,
    ] {
        let out = xtask(&["bench", "burn-epoch", "--alone", junk]);
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(1), "{stderr}");
        assert!(
            stderr.contains("--alone") || stderr.contains("has no variant \"no such\""),
            "{stderr}"
        );
    }
}
