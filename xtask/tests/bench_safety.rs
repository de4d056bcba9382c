//! `bench --reference` cannot damage what is committed or leave a twin running: Ctrl-C stops it,
//! kills and waits for the twin, writes nothing and exits 130; a twin past `--twin-timeout` is
//! stopped and reported; a selection with no row is an error that writes nothing; the README's
//! quick look writes its own folder and leaves the committed table as it was.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use mnist_data::synth;

/// A fixture folder of IDX files and a stand-in Python that records its pid and then sleeps
/// (as `exec`, so the pid is the sleeping process's) for `seconds`.
fn setup(root: &Path, seconds: u32) -> (PathBuf, PathBuf, PathBuf) {
    let data = root.join("idx");
    mnist_data::write::write_dir(
        &data,
        &synth::separable(600, 1),
        &synth::separable(200, 2),
        true,
    )
    .unwrap();
    let pid_file = root.join("twin.pid");
    let python = root.join("sleepy-python");
    let script = format!(
        "#!/bin/sh\necho $$ > '{}'\nexec sleep {seconds}\n",
        pid_file.display()
    );
    std::fs::write(&python, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (data, python, pid_file)
}

fn bench(target: &str, python: &Path, data: &Path, out: &Path, extra: &[&str]) -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_xtask"));
    cmd.args(["bench", target, "--reference"])
        .arg(python)
        .args(["--rounds", "1", "--epochs", "1", "--data-dir"])
        .arg(data)
        .args(["--skip-checksum", "--out"])
        .arg(out)
        .args(extra);
    cmd
}

fn text(output: &Output) -> String {
    format!(
        "{}\n{}",
        String::from_utf8_lossy(&output.stdout),
        String::from_utf8_lossy(&output.stderr)
    )
}

#[cfg(unix)]
#[test]
fn sigint_during_a_twin_kills_it_writes_nothing_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, python, pid_file) = setup(tmp.path(), 60);
    let out = tmp.path().join("bench");
    let child = bench("scratch-epoch", &python, &data, &out, &[])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until the twin runs (it has written its pid), then interrupt xtask alone.
    let deadline = Instant::now() + Duration::from_secs(240);
    let twin_pid = loop {
        if let Some(pid) = std::fs::read_to_string(&pid_file)
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
        {
            break pid;
        }
        assert!(Instant::now() < deadline, "the twin never started");
        std::thread::sleep(Duration::from_millis(50));
    };
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let started = Instant::now();
    let output = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(130), "{stderr}");
    assert!(
        started.elapsed() < Duration::from_secs(20),
        "took {:?}",
        started.elapsed()
    );
    assert!(
        stderr.contains("interrupted (Ctrl-C): no table written"),
        "{stderr}"
    );
    assert!(!out.exists(), "a table was written");
    assert!(
        !Path::new(&format!("/proc/{twin_pid}")).exists(),
        "the twin (pid {twin_pid}) is still running"
    );
}

#[cfg(unix)]
#[test]
fn a_twin_past_its_time_limit_is_stopped_and_reported() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, python, pid_file) = setup(tmp.path(), 60);
    let out = tmp.path().join("bench");
    let started = Instant::now();
    let output = bench(
        "scratch-epoch",
        &python,
        &data,
        &out,
        &["--twin-timeout", "1"],
    )
    .output()
    .unwrap();
    let all = text(&output);
    // The Rust side was measured and written; the twin is a failed row: exit status 2.
    assert_eq!(output.status.code(), Some(2), "{all}");
    assert!(
        all.contains(
            "NumPy f32 (xtask/reference/numpy_mlp.py) timed out: it ran past --twin-timeout (1 s) \
             and was stopped"
        ),
        "{all}"
    );
    assert!(out.join("reference.md").is_file(), "{all}");
    // Two twins of a minute each, stopped after a second each.
    assert!(started.elapsed() < Duration::from_secs(30), "{all}");
    let pid = std::fs::read_to_string(&pid_file).unwrap();
    assert!(
        !Path::new(&format!("/proc/{}", pid.trim())).exists(),
        "the timed-out twin (pid {pid}) is still running"
    );
}

#[cfg(not(feature = "flex"))]
#[test]
fn a_selection_without_a_row_in_this_build_is_an_error_that_writes_nothing() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, python, pid_file) = setup(tmp.path(), 1);
    let out = tmp.path().join("bench");
    let output = bench("cnn-epoch", &python, &data, &out, &[])
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("bench cnn-epoch --reference: no variant of it can run, so nothing was run")
            && all.contains("cnn flex, tuned needs the `flex` cargo feature"),
        "{all}"
    );
    assert!(!out.exists(), "{all}");
    assert!(!pid_file.exists(), "a twin ran: {all}");
}

#[cfg(not(feature = "flex"))]
#[test]
fn without_flex_every_row_needs_an_out_so_the_committed_table_keeps_its_flex_rows() {
    let tmp = tempfile::tempdir().unwrap();
    let (_, python, pid_file) = setup(tmp.path(), 1);
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "--reference"])
        .arg(&python)
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("would replace benchmarks/, the table of every workload, with one that lacks")
            && all.contains("burn flex, tuned needs the `flex` cargo feature")
            && all.contains("give --out DIR"),
        "{all}"
    );
    assert!(!pid_file.exists(), "a twin ran: {all}");
    // Naming the committed folder with --out is the same thing.
    let committed = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("benchmarks");
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "--reference"])
        .arg(&python)
        .arg("--out")
        .arg(&committed)
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("burn flex, tuned needs the `flex` cargo feature"),
        "{all}"
    );
    assert!(!pid_file.exists(), "a twin ran: {all}");
}

#[test]
fn early_stopping_is_refused_before_anything_runs_as_the_timed_runs_have_no_validation_set() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, python, pid_file) = setup(tmp.path(), 1);
    let out = tmp.path().join("bench");
    let output = bench(
        "burn-epoch",
        &python,
        &data,
        &out,
        &["--set", "burn.patience=2"],
    )
    .output()
    .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("--set burn.patience: early stopping watches the validation loss")
            && all.contains("(bench --reference trains without one)"),
        "{all}"
    );
    assert!(!out.exists() && !pid_file.exists(), "{all}");
}

/// A stand-in Python that logs its arguments (one line per call) and answers as a twin does,
/// or, with `signal`, kills itself with that signal.
fn echo_python(root: &Path, signal: Option<u32>) -> (PathBuf, PathBuf) {
    let log = root.join("calls.log");
    let python = root.join("echo-python");
    let answer = match signal {
        Some(sig) => format!("kill -{sig} $$"),
        None => r#"echo '{"twin": "stand-in", "model": "stand-in model", "seconds": [0.5], "unit": "epoch", "test_accuracy": 0.5}'"#.to_string(),
    };
    let script = format!("#!/bin/sh\necho \"$@\" >> '{}'\n{answer}\n", log.display());
    std::fs::write(&python, script).unwrap();
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(&python, std::fs::Permissions::from_mode(0o755)).unwrap();
    }
    (python, log)
}

/// Moves a folder aside for the life of the guard and puts it back on drop.
struct Aside {
    path: PathBuf,
    kept: Option<(tempfile::TempDir, PathBuf)>,
}

impl Aside {
    fn new(path: PathBuf) -> Self {
        let kept = path.exists().then(|| {
            let tmp = tempfile::tempdir_in(path.parent().unwrap()).unwrap();
            let moved = tmp.path().join("kept");
            std::fs::rename(&path, &moved).unwrap();
            (tmp, moved)
        });
        Self { path, kept }
    }
}

impl Drop for Aside {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
        if let Some((_tmp, moved)) = self.kept.take() {
            let _ = std::fs::rename(moved, &self.path);
        }
    }
}

/// Every file under `dir` but those under `skip`, with its bytes.
fn files_under(dir: &Path, skip: &Path, found: &mut Vec<(PathBuf, Vec<u8>)>) {
    for entry in std::fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.starts_with(skip) {
            continue;
        }
        if path.is_dir() {
            files_under(&path, skip, found);
        } else {
            found.push((path.clone(), std::fs::read(&path).unwrap()));
        }
    }
    found.sort();
}

#[test]
fn the_quick_look_writes_its_own_folder_and_leaves_the_committed_tables_byte_identical() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _, _) = setup(tmp.path(), 1);
    let (python, _) = echo_python(tmp.path(), None);
    let benchmarks = Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .unwrap()
        .join("benchmarks");
    // The quick look's own folder, moved aside if a user's run left one, restored after.
    let own = Aside::new(benchmarks.join("burn-epoch"));
    let mut before = Vec::new();
    files_under(&benchmarks, &own.path, &mut before);
    assert!(before.iter().any(|(p, _)| p.ends_with("reference.md")));
    // The README's quick look, on a small fixture instead of MNIST.
    let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "burn-epoch", "--reference"])
        .arg(&python)
        .args(["--rounds", "1", "--epochs", "2", "--data-dir"])
        .arg(&data)
        .arg("--skip-checksum")
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    assert!(own.path.join("reference.md").is_file(), "{all}");
    let mut after = Vec::new();
    files_under(&benchmarks, &own.path, &mut after);
    assert!(
        before == after,
        "a committed table under benchmarks/ changed"
    );
}

#[cfg(unix)]
#[test]
fn sigint_during_a_plain_bench_stops_it_and_exits_130() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _, _) = setup(tmp.path(), 1);
    let mut child = Command::new(env!("CARGO_BIN_EXE_xtask"))
        .args(["bench", "scratch-epoch", "--runs", "1000000", "--data-dir"])
        .arg(&data)
        .arg("--skip-checksum")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    std::thread::sleep(Duration::from_secs(2));
    let sent = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(sent.success());
    let deadline = Instant::now() + Duration::from_secs(30);
    while child.try_wait().unwrap().is_none() {
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("bench did not stop within 30 s of Ctrl-C");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let output = child.wait_with_output().unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(130), "{all}");
    assert!(all.contains("interrupted: no result"), "{all}");
}

/// With Flex every workload has its variants, so only the guards below stand between a run
/// and the committed table of every workload.
#[cfg(feature = "flex")]
#[test]
fn the_committed_table_is_replaced_only_by_a_default_run_with_a_working_interpreter() {
    let tmp = tempfile::tempdir().unwrap();
    let (python, log) = echo_python(tmp.path(), None);
    let refused = |args: &[&str], expected: &str| {
        let output = Command::new(env!("CARGO_BIN_EXE_xtask"))
            .args(["bench", "--reference"])
            .args(args)
            .output()
            .unwrap();
        let all = text(&output);
        assert_eq!(output.status.code(), Some(1), "{all}");
        assert!(all.contains(expected), "{all}");
    };
    let py = python.to_str().unwrap();
    refused(
        &[py, "--epochs", "1"],
        "this run changes --epochs: give --out DIR; nothing was run or written",
    );
    refused(
        &[py, "--set", "scratch.hidden=64"],
        "this run changes a backend setting: give --out DIR",
    );
    refused(
        &[py, "--rounds", "1"],
        "this run changes --rounds: give --out DIR",
    );
    refused(
        &[py, "--seed", "7"],
        "this run changes --seed: give --out DIR",
    );
    refused(
        &["/nonexistent/python3"],
        "--reference /nonexistent/python3: cannot run it, so benchmarks/ would get a table",
    );
    assert!(!log.exists(), "a twin ran");
}

#[test]
fn the_settings_that_shape_the_model_reach_the_twins_arguments() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _, _) = setup(tmp.path(), 1);
    let (python, log) = echo_python(tmp.path(), None);
    let out = tmp.path().join("bench");
    let output = bench(
        "scratch-epoch",
        &python,
        &data,
        &out,
        &["--set", "scratch.hidden=64", "--set", "scratch.threads=1"],
    )
    .output()
    .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(0), "{all}");
    let calls = std::fs::read_to_string(&log).unwrap();
    let calls: Vec<&str> = calls.lines().collect();
    assert_eq!(calls.len(), 2, "{calls:?}");
    for call in &calls {
        assert!(call.contains("--hidden 64 --threads 1"), "{call}");
    }
    // The row names the model timed on each side.
    let md = std::fs::read_to_string(out.join("reference.md")).unwrap();
    assert!(
        md.contains("MLP 784-64-10") && md.contains("/ stand-in model |"),
        "{md}"
    );
}

#[test]
fn a_setting_no_twin_can_mirror_is_refused_before_anything_runs() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _, _) = setup(tmp.path(), 1);
    let (python, log) = echo_python(tmp.path(), None);
    let out = tmp.path().join("bench");
    let output = bench(
        "linfa-fit",
        &python,
        &data,
        &out,
        &["--set", "linfa.checkpoints=10"],
    )
    .output()
    .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(1), "{all}");
    assert!(
        all.contains("--set linfa.checkpoints: no twin can mirror it"),
        "{all}"
    );
    assert!(!out.exists() && !log.exists(), "{all}");
}

#[test]
fn a_setting_that_rules_out_every_variant_is_an_error_naming_it_and_a_typo_is_named_as_one() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _, _) = setup(tmp.path(), 1);
    let (python, log) = echo_python(tmp.path(), None);
    let out = tmp.path().join("bench");
    let run = |workload: &str, set: &str| {
        let output = bench(workload, &python, &data, &out, &["--set", set])
            .output()
            .unwrap();
        let all = text(&output);
        assert_eq!(output.status.code(), Some(1), "{all}");
        all
    };
    let all = run("cnn-epoch", "cnn.device=ndarray");
    assert!(
        all.contains("bench cnn-epoch --reference: no variant of it can run, so nothing was run"),
        "{all}"
    );
    if cfg!(feature = "flex") {
        for label in ["cnn flex, tuned", "cnn flex, as shipped"] {
            assert!(
                all.contains(&format!(
                    "{label} left out: --set cnn.device=ndarray asks for another configuration"
                )),
                "{all}"
            );
        }
    }
    let all = run("burn-epoch", "burn.device=ndaray");
    assert!(all.contains("unknown burn device \"ndaray\""), "{all}");
    assert!(!out.exists() && !log.exists(), "{all}");
}

#[cfg(unix)]
#[test]
fn a_twin_stopped_by_a_signal_is_an_interruption_and_a_crash_is_a_failed_row() {
    let tmp = tempfile::tempdir().unwrap();
    let (data, _, _) = setup(tmp.path(), 1);
    let out = tmp.path().join("bench");
    let (python, _) = echo_python(tmp.path(), Some(15));
    let output = bench("scratch-epoch", &python, &data, &out, &[])
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(130), "{all}");
    assert!(
        all.contains(
            "interrupted (NumPy f32 (xtask/reference/numpy_mlp.py) was killed by signal 15)"
        ),
        "{all}"
    );
    assert!(!out.exists(), "{all}");
    // SIGSEGV: a crash, reported in the table, whose Rust side is still measured.
    let (python, _) = echo_python(tmp.path(), Some(11));
    let output = bench("scratch-epoch", &python, &data, &out, &[])
        .output()
        .unwrap();
    let all = text(&output);
    assert_eq!(output.status.code(), Some(2), "{all}");
    let md = std::fs::read_to_string(out.join("reference.md")).unwrap();
    assert!(md.contains("was killed by signal 11"), "{md}");
}
