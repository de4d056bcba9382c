//! The output folder, whatever the order of runs: saved models, nested reports, leftovers of a
//! crashed run and two runs at once never cost a report or the training before it.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::Path;
use std::process::{Command, Output};

mod common;

use common::dead_pid;
/// A folder of valid synthetic IDX files (not MNIST, so every run passes --skip-checksum).
use common::fixture_dir as fixture;

/// `compare` on the fixture: one epoch of `backends` into `out`, with `extra` flags.
fn compare(data: &Path, out: &Path, backends: &str, extra: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["compare", "--skip-checksum", "--epochs", "1", "--backends"])
        .arg(backends)
        .arg("--data-dir")
        .arg(data)
        .arg("--out")
        .arg(out)
        .args(extra)
        .env("MNIST_CACHE_DIR", "/nonexistent/mnist-compare-test-cache")
        .env("MNIST_MIRRORS", "http://127.0.0.1:9/")
        .output()
        .unwrap()
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// Runs `compare`, expecting it to succeed; returns its stderr.
fn compare_ok(data: &Path, out: &Path, extra: &[&str]) -> String {
    let output = compare(data, out, "scratch", extra);
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(0), "{}:\n{text}", out.display());
    assert!(out.join("summary.md").is_file(), "{text}");
    text
}

/// Expects exit status 1 and one `error:` line containing each of `expected`, before any data
/// was read (which would print `data: ...`).
fn assert_refused_at_once(output: &Output, expected: &[&str]) -> String {
    let text = stderr(output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "one line expected:\n{text}");
    assert!(text.starts_with("error: "), "{text}");
    for e in expected {
        assert!(text.contains(e), "{e:?} not in:\n{text}");
    }
    text
}

fn marked(dir: &Path, summary: &str) {
    std::fs::create_dir_all(dir).unwrap();
    std::fs::write(dir.join(safe_write::MARKER), "").unwrap();
    std::fs::write(dir.join("summary.md"), summary).unwrap();
}

#[test]
fn save_models_inside_out_is_refused_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    // An earlier report, which the new one would replace with everything in it.
    let earlier = tmp.path().join("earlier");
    compare_ok(&data, &earlier, &[]);
    let before = std::fs::read(earlier.join("summary.md")).unwrap();
    // And a folder that does not exist yet, which saving the models would create unmarked.
    let new = tmp.path().join("new");
    for out in [&earlier, &new] {
        let models = out.join("models");
        let output = compare(
            &data,
            out,
            "burn",
            &["--save-models", models.to_str().unwrap()],
        );
        assert_refused_at_once(&output, &["--save-models", "inside --out"]);
        assert!(!models.exists(), "{}", models.display());
    }
    // Inside another output of this tool (`reports/models` beside `--out reports/fashion`):
    // the next run into it would delete the models.
    let models = earlier.join("models");
    let output = compare(
        &data,
        &new,
        "burn",
        &["--save-models", models.to_str().unwrap()],
    );
    assert_refused_at_once(
        &output,
        &["--save-models", "an earlier output of this tool"],
    );
    assert!(!models.exists());
    assert_eq!(std::fs::read(earlier.join("summary.md")).unwrap(), before);
    assert!(!new.exists());
}

#[test]
fn nested_reports_are_kept_whichever_is_written_first() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let outer = tmp.path().join("reports");
    let inner = outer.join("fashion-mnist");
    let both = || inner.join("summary.md").is_file() && outer.join("summary.md").is_file();
    // The nested report first: the outer folder is created to hold it, unmarked.
    compare_ok(&data, &inner, &[]);
    compare_ok(&data, &outer, &[]);
    assert!(both());
    // Then the outer one first, each replacing its earlier self.
    compare_ok(&data, &outer, &[]);
    assert!(both());
    compare_ok(&data, &inner, &[]);
    assert!(both());
}

#[test]
fn leftovers_of_a_crashed_swap_are_recovered_and_do_not_block_the_next_report() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let out = tmp.path().join("reports");
    compare_ok(&data, &out, &[]);
    // A run killed after moving the nested report into its staging folder, and the old report
    // folder of another that crashed before removing it (under the name every run once used).
    let dead = dead_pid();
    let staging = tmp.path().join(format!(".reports.tmp-{dead}"));
    marked(&staging.join("inner"), "nested report\n");
    std::fs::write(staging.join("accuracy.png"), "half-written").unwrap();
    marked(&tmp.path().join(".reports.old"), "old report\n");
    let text = compare_ok(&data, &out, &[]);
    assert!(text.contains("recovered"), "{text}");
    assert_eq!(
        std::fs::read_to_string(out.join("inner").join("summary.md")).unwrap(),
        "nested report\n"
    );
    let left: Vec<_> = std::fs::read_dir(tmp.path())
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with(".reports"))
        .filter(|n| !n.ends_with(".lock"))
        .collect();
    assert!(left.is_empty(), "{left:?}\n{text}");
}

#[test]
fn a_report_stranded_beside_its_folder_by_a_crash_is_restored_first() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let out = tmp.path().join("reports");
    // Killed between moving the old report aside and moving the new one in: `reports/` is gone,
    // the previous report and the nested one in it sit beside it.
    let dead = dead_pid();
    let old = tmp.path().join(format!(".reports.old-{dead}"));
    marked(&old, "previous report\n");
    marked(&old.join("inner"), "nested report\n");
    let text = compare_ok(&data, &out, &[]);
    assert!(text.contains("recovered"), "{text}");
    assert!(!old.exists());
    assert_eq!(
        std::fs::read_to_string(out.join("inner").join("summary.md")).unwrap(),
        "nested report\n"
    );
}

#[test]
fn a_second_run_into_the_same_out_is_refused_while_the_first_holds_it() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let out = tmp.path().join("reports");
    compare_ok(&data, &out, &[]);
    let before = std::fs::read(out.join("summary.md")).unwrap();
    // Another run holds the folder: its lock beside it, locked, with its pid.
    let lock_path = tmp.path().join(".reports.lock");
    let lock = std::fs::File::create(&lock_path).unwrap();
    lock.try_lock().unwrap();
    std::fs::write(&lock_path, format!("{}\n", std::process::id())).unwrap();
    let output = compare(&data, &out, "scratch", &[]);
    let pid = format!("pid {}", std::process::id());
    assert_refused_at_once(&output, &["--out", "another run", &pid]);
    assert_eq!(std::fs::read(out.join("summary.md")).unwrap(), before);
    // Once it lets go (finished, or killed: the system drops the lock with the process), the
    // next run goes ahead.
    drop(lock);
    compare_ok(&data, &out, &[]);
}
