//! Saved models are kept or the run says so: a model folder is claimed before anything trains (a
//! second run saving the same model is refused, naming the first), a save that fails is a failed
//! part of the run (exit status 2, named in the report and the last lines) that leaves the
//! earlier model as it was, and what a run that stopped mid-save left is recovered.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStderr, Command, Output, Stdio};

mod common;

use common::fixture_dir as fixture;

/// Epochs of the run that is paused mid-training: enough that it is still training when the
/// test stops it, a moment after it printed its data line (seconds of training on the fixture).
const LONG_EPOCHS: &str = "1500";

/// `compare` of scratch on the fixture into `out`, saving into `models`.
fn compare(data: &Path, out: &Path, models: &Path, epochs: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_xtask"));
    command
        .args(["compare", "--skip-checksum", "--backends", "scratch"])
        .args(["--epochs", epochs, "--data-dir"])
        .arg(data)
        .arg("--out")
        .arg(out)
        .arg("--save-models")
        .arg(models)
        .env("MNIST_CACHE_DIR", "/nonexistent/mnist-compare-test-cache")
        .env("MNIST_MIRRORS", "http://127.0.0.1:9/");
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// The saved model's folder for scratch at the default seed.
fn model_dir(models: &Path) -> PathBuf {
    models.join("mnist-scratch-seed42")
}

/// Every file of a saved model folder, name and bytes, sorted.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut files: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| {
            let e = e.unwrap();
            let name = e.file_name().into_string().unwrap();
            (name, std::fs::read(e.path()).unwrap())
        })
        .collect();
    files.sort();
    files
}

/// Saves a first model, as an earlier run did; returns its files.
fn earlier_model(data: &Path, root: &Path, models: &Path) -> Vec<(String, Vec<u8>)> {
    let output = compare(data, &root.join("first"), models, "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let files = contents(&model_dir(models));
    let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
    assert!(names.contains(&"model.json"), "{names:?}");
    files
}

/// A run stopped mid-training (SIGSTOP), with what it has printed so far. Dropped without
/// [`Paused::resume`] (a failed assertion), it is killed, so that no stopped run keeps its locks.
struct Paused {
    child: Child,
    stderr: BufReader<ChildStderr>,
    seen: String,
}

impl Paused {
    /// Starts a long run, waits until it has claimed its folders and read the data (its `data:`
    /// line), and stops it there, mid-training.
    fn start(mut command: Command) -> Self {
        let mut child = command
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let stderr = BufReader::new(child.stderr.take().unwrap());
        let mut paused = Self {
            child,
            stderr,
            seen: String::new(),
        };
        loop {
            let mut line = String::new();
            let read = paused.stderr.read_line(&mut line).unwrap();
            assert!(read > 0, "ended:\n{}", paused.seen);
            paused.seen.push_str(&line);
            if line.starts_with("data: ") {
                break;
            }
        }
        paused.signal("-STOP");
        paused
    }

    fn pid(&self) -> u32 {
        self.child.id()
    }

    fn signal(&self, which: &str) {
        let status = Command::new("kill")
            .arg(which)
            .arg(self.pid().to_string())
            .status()
            .unwrap();
        assert!(status.success());
    }

    /// Resumes the run and waits for it; returns its exit code and its whole stderr.
    fn resume(mut self) -> (Option<i32>, String) {
        self.signal("-CONT");
        let mut rest = String::new();
        self.stderr.read_to_string(&mut rest).unwrap();
        let status = self.child.wait().unwrap();
        (status.code(), std::mem::take(&mut self.seen) + &rest)
    }
}

impl Drop for Paused {
    fn drop(&mut self) {
        if self.child.try_wait().is_ok_and(|s| s.is_none()) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }
}

#[test]
fn a_file_where_a_model_goes_is_refused_before_anything_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let models = tmp.path().join("models");
    std::fs::create_dir_all(&models).unwrap();
    std::fs::write(model_dir(&models), "not a model").unwrap();
    let out = tmp.path().join("reports");
    let output = compare(&data, &out, &models, "1").output().unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "one line expected:\n{text}");
    assert!(text.starts_with("error: --save-models: "), "{text}");
    assert!(text.contains("mnist-scratch-seed42"), "{text}");
    assert!(text.contains("is not a folder"), "{text}");
    assert!(!out.exists(), "a report was written");
    assert_eq!(
        std::fs::read(model_dir(&models)).unwrap(),
        b"not a model",
        "the file was touched"
    );
}

#[test]
fn a_second_run_saving_the_same_model_is_refused_before_it_trains() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let models = tmp.path().join("models");
    let first = Paused::start(compare(&data, &tmp.path().join("a"), &models, LONG_EPOCHS));
    let holder = format!("pid {}", first.pid());
    // The second run, while the first is mid-training with the same model to save.
    let second = compare(&data, &tmp.path().join("b"), &models, "1")
        .output()
        .unwrap();
    let (code, first_text) = first.resume();
    let text = stderr(&second);
    assert_eq!(second.status.code(), Some(1), "{text}");
    assert_eq!(text.lines().count(), 1, "one line expected:\n{text}");
    assert!(text.starts_with("error: --save-models: "), "{text}");
    assert!(text.contains("mnist-scratch-seed42"), "{text}");
    assert!(text.contains(&holder), "{holder} not named:\n{text}");
    assert!(
        !tmp.path().join("b").exists(),
        "the refused run wrote a report"
    );
    // The first run finished and saved a complete model, which predict reads.
    assert_eq!(code, Some(0), "{first_text}");
    let names: Vec<String> = contents(&model_dir(&models))
        .into_iter()
        .map(|(n, _)| n)
        .collect();
    assert!(
        names.contains(&"model.json".to_string())
            && names.contains(&"weights.safetensors".to_string()),
        "{names:?}"
    );
    let manifest: serde_json::Value =
        serde_json::from_slice(&std::fs::read(model_dir(&models).join("model.json")).unwrap())
            .unwrap();
    assert_eq!(manifest["backend"], "scratch");
    let listed: Vec<_> = std::fs::read_dir(&models)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    assert_eq!(listed, ["mnist-scratch-seed42"], "leftovers beside it");
}

#[test]
fn a_model_that_cannot_be_saved_fails_the_run_and_keeps_the_earlier_one() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let models = tmp.path().join("models");
    let before = earlier_model(&data, tmp.path(), &models);
    let out = tmp.path().join("reports");
    let run = Paused::start(compare(&data, &out, &models, LONG_EPOCHS));
    // While it trains, a file takes the name of its staging folder: the save will fail.
    let staging = models.join(format!(".mnist-scratch-seed42.tmp-{}", run.pid()));
    std::fs::write(&staging, "in the way").unwrap();
    let (code, text) = run.resume();
    assert_eq!(code, Some(2), "{text}");
    let last = text.lines().last().unwrap();
    assert!(
        last.starts_with("error: ")
            && last.contains("mnist-scratch-seed42")
            && last.contains("not saved"),
        "{text}"
    );
    // The report was written, and says so first.
    let md = std::fs::read_to_string(out.join("summary.md")).unwrap();
    assert!(md.contains("## Models not saved"), "{md}");
    assert!(md.contains("mnist-scratch-seed42: not saved"), "{md}");
    // The earlier model is as it was.
    assert_eq!(contents(&model_dir(&models)), before);
}

#[test]
fn what_a_run_stopped_mid_save_left_is_recovered_at_the_next_claim() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let models = tmp.path().join("models");
    let before = earlier_model(&data, tmp.path(), &models);
    // A run that died between the two renames of its swap: the earlier model moved aside, the
    // new one half-written in its staging folder.
    let dead = common::dead_pid();
    let old = models.join(format!(".mnist-scratch-seed42.old-{dead}"));
    let staging = models.join(format!(".mnist-scratch-seed42.tmp-{dead}"));
    std::fs::rename(model_dir(&models), &old).unwrap();
    std::fs::create_dir_all(&staging).unwrap();
    std::fs::write(staging.join("weights.safetensors"), "half").unwrap();
    // The next run saving that model: it recovers both at its claim, then its training
    // diverges, so it saves nothing, and the model found is the earlier one, restored.
    let output = compare(&data, &tmp.path().join("r"), &models, "1")
        .args(["--lr", "1e30"])
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(2), "{text}");
    assert!(text.contains("diverged"), "{text}");
    let restored = format!("recovered {}", model_dir(&models).display());
    assert!(text.contains(&restored), "{restored:?} not in:\n{text}");
    assert!(text.contains("recovered: removed"), "{text}");
    assert!(!old.exists() && !staging.exists(), "{text}");
    assert_eq!(contents(&model_dir(&models)), before);
}

#[test]
fn a_model_saved_without_the_marker_is_replaced_and_a_folder_of_other_files_is_not() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let models = tmp.path().join("models");
    earlier_model(&data, tmp.path(), &models);
    // As earlier versions of the tool saved it: the same files, no marker.
    std::fs::remove_file(model_dir(&models).join(safe_write::MARKER)).unwrap();
    let output = compare(&data, &tmp.path().join("r1"), &models, "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    assert!(model_dir(&models).join(safe_write::MARKER).is_file());
    // The same model folder with a file of the user's in it: refused, left as it was.
    std::fs::remove_file(model_dir(&models).join(safe_write::MARKER)).unwrap();
    std::fs::write(model_dir(&models).join("notes.txt"), "mine").unwrap();
    let before = contents(&model_dir(&models));
    let output = compare(&data, &tmp.path().join("r2"), &models, "1")
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.starts_with("error: --save-models: "), "{text}");
    assert_eq!(contents(&model_dir(&models)), before);
    // Nor is a report written over it.
    let output = compare(&data, &model_dir(&models), &tmp.path().join("m2"), "1")
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.starts_with("error: --out: "), "{text}");
    assert_eq!(contents(&model_dir(&models)), before);
}

#[test]
fn a_report_is_refused_where_a_stranded_model_is_moved_back() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let models = tmp.path().join("models");
    let before = earlier_model(&data, tmp.path(), &models);
    // The model stranded beside its folder by a run that stopped mid-swap.
    let dead = common::dead_pid();
    let old = models.join(format!(".mnist-scratch-seed42.old-{dead}"));
    std::fs::rename(model_dir(&models), &old).unwrap();
    // A report into the model's folder: the claim moves the model back, then refuses.
    let output = compare(&data, &model_dir(&models), &tmp.path().join("m2"), "1")
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("holds a saved model"), "{text}");
    assert_eq!(contents(&model_dir(&models)), before);
}

#[test]
fn a_report_at_a_models_name_is_not_replaced_by_the_model() {
    let tmp = tempfile::tempdir().unwrap();
    let data = fixture(tmp.path());
    let models = tmp.path().join("models");
    let report = model_dir(&models);
    let output = compare(&data, &report, &tmp.path().join("elsewhere"), "1")
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(0), "{}", stderr(&output));
    let before = contents(&report);
    let output = compare(&data, &tmp.path().join("r"), &models, "1")
        .output()
        .unwrap();
    let text = stderr(&output);
    assert_eq!(output.status.code(), Some(1), "{text}");
    assert!(text.contains("holds another output of this tool"), "{text}");
    assert_eq!(contents(&report), before);
}
