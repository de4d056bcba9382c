//! What the command-line tests share: running the built xtask away from the user's cache and the
//! network, a fixture folder of synthetic IDX files, and the check that a bad invocation fails
//! with one clear line.

// Each test binary uses some of these helpers, never all: the rest would warn as unused.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use mnist_data::synth;

/// Runs the built xtask with `args`, away from the user's data folder, cache and the network.
pub fn xtask(args: &[&str]) -> Output {
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
pub fn fixture_dir(root: &Path) -> PathBuf {
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
pub fn assert_clean_failure(args: &[&str], out: &Path, expected: &str) {
    assert_one_line_error(args, out, expected);
    assert!(!out.exists(), "{args:?}: a report was written");
}

/// Runs `compare --out out` (one quick scratch epoch unless `args` say otherwise), expecting
/// exit status 1 and one `error:` line that contains `expected`; returns that line.
pub fn assert_one_line_error(args: &[&str], out: &Path, expected: &str) -> String {
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

/// The pid of a process that has exited (the pid of a child that was waited for): what a run
/// that crashed leaves in the names of its leftovers.
pub fn dead_pid() -> u32 {
    let mut child = Command::new("true").spawn().expect("`true` runs");
    let pid = child.id();
    child.wait().expect("`true` ends");
    pid
}
