//! The twin protocol: run one Python twin on an exported split (in its own process group, with a
//! time limit) and read the one JSON line it prints (see `xtask/reference/_common.py`).

use std::io::ErrorKind;
use std::path::Path;
use std::process::{Command, ExitStatus};
use std::time::Duration;

use bench_core::Twin;
use serde_json::Value;

use super::args::PIP_INSTALL;
use super::measure::{Measured, median};
use crate::child::{self, Ended};
use crate::progress::interrupted;

/// Why a twin gave no figure.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum TwinError {
    /// The interpreter itself cannot run: no twin will.
    NoPython(String),
    /// This twin failed (a missing package, a crash, its time limit).
    Failed(String),
    /// The user pressed Ctrl-C, or the twin was stopped by a signal that someone sends to stop
    /// a program (HUP, INT, QUIT, TERM; the reason says which): an interruption, not a failure.
    /// A crash (SIGSEGV, SIGABRT, ...) or SIGKILL (most often the out-of-memory killer: the
    /// twin's process group does not get the terminal's signals) is a failed row.
    Interrupted(String),
}

/// Runs `twin` with `python` on the split exported into `dir`, from the workspace `root`, for
/// `epochs` (epochs, or a fit's iteration budget): its figure and the JSON record it printed
/// (versions, threads, BLAS, model).
pub fn run(
    python: &Path,
    root: &Path,
    twin: &Twin,
    dir: &Path,
    seed: u64,
    epochs: Option<usize>,
    limit: Duration,
) -> Result<(Measured, Value), TwinError> {
    let script = crate::registry::twin_script(twin);
    // How every message names the twin: its label and its script.
    let name = format!("{} ({script})", twin.label);
    let mut cmd = Command::new(python);
    cmd.arg(root.join(&script))
        .arg(dir)
        .args(["--seed", &seed.to_string()]);
    if let Some(epochs) = epochs {
        cmd.args(["--epochs", &epochs.to_string()]);
    }
    cmd.args(&twin.args);
    let ended = child::run(cmd, limit).map_err(|e| match e.kind() {
        ErrorKind::NotFound | ErrorKind::PermissionDenied => TwinError::NoPython(format!(
            "--reference {}: cannot run it ({e}); name a Python 3 interpreter with the twins' \
             packages ({PIP_INSTALL}); the Rust figures are still measured",
            python.display()
        )),
        _ => TwinError::Failed(format!("{name}: {e}")),
    })?;
    let (status, stdout, stderr) = match ended {
        Ended::Exited {
            status,
            stdout,
            stderr,
        } => (status, stdout, stderr),
        Ended::Interrupted => return Err(TwinError::Interrupted("Ctrl-C".to_string())),
        Ended::TimedOut => {
            return Err(TwinError::Failed(format!(
                "{name} timed out: it ran past --twin-timeout ({} s) and was stopped",
                limit.as_secs()
            )));
        }
    };
    let record = read_record(&name, status, &stdout, &stderr)?;
    figure(&name, record)
}

/// The JSON record the twin `name` printed last, once it exited with `status`; an error when it
/// reported one, was stopped or killed, failed, or printed none.
fn read_record(
    name: &str,
    status: ExitStatus,
    stdout: &str,
    stderr: &str,
) -> Result<Value, TwinError> {
    let last = stdout.lines().rev().find(|l| !l.trim().is_empty());
    let parsed: Option<Value> = last.and_then(|l| serde_json::from_str(l).ok());
    if let Some(error) = parsed
        .as_ref()
        .and_then(|v| v.get("error"))
        .and_then(Value::as_str)
    {
        return Err(TwinError::Failed(error.to_string()));
    }
    if !status.success() && interrupted() {
        return Err(TwinError::Interrupted("Ctrl-C".to_string()));
    }
    if let Some(signal) = killed_by(&status) {
        let why = format!("{name} was killed by signal {signal}");
        return Err(if STOPPING_SIGNALS.contains(&signal) {
            TwinError::Interrupted(why)
        } else {
            TwinError::Failed(why)
        });
    }
    if !status.success() {
        let why = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(TwinError::Failed(format!(
            "{name} exited with {status}: {why}"
        )));
    }
    parsed.ok_or_else(|| {
        TwinError::Failed(format!(
            "{name} printed no JSON line (last line: {:?})",
            last.unwrap_or("")
        ))
    })
}

/// The figure in the twin `name`'s `record`: the median of its `seconds`, and its test accuracy.
fn figure(name: &str, record: Value) -> Result<(Measured, Value), TwinError> {
    let seconds: Vec<f64> = record
        .get("seconds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    match (
        seconds.is_empty(),
        record.get("test_accuracy").and_then(Value::as_f64),
    ) {
        (false, Some(test_accuracy)) => Ok((
            Measured {
                seconds: median(&seconds),
                test_accuracy,
            },
            record,
        )),
        _ => Err(TwinError::Failed(format!(
            "{name} printed JSON without `seconds` and `test_accuracy`"
        ))),
    }
}

/// SIGHUP, SIGINT, SIGQUIT, SIGTERM: what people and supervisors send to stop a program (the
/// same numbers on every unix Rust supports).
const STOPPING_SIGNALS: [i32; 4] = [1, 2, 3, 15];

/// The signal that killed the process, if one did.
#[cfg(unix)]
fn killed_by(status: &ExitStatus) -> Option<i32> {
    use std::os::unix::process::ExitStatusExt;
    status.signal()
}

#[cfg(not(unix))]
fn killed_by(_status: &ExitStatus) -> Option<i32> {
    None
}
