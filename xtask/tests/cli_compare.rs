//! `compare` end to end: a run on synthetic data or on the bundled MNIST writes both reports,
//! reproducibly; a backend that diverges is a failed row beside the others; Ctrl-C stops the run
//! and leaves the previous report as it was.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::process::Command;

mod common;
use common::{fixture_dir, xtask};

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
    std::fs::write(out.join(safe_write::MARKER), "").unwrap();
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
