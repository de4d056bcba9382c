//! A variant that runs in a process of its own: one whose environment holds a setting that is
//! fixed for a whole process (glibc's allocator thresholds are set once, as xtask starts). The
//! side-by-side run starts this same binary as `bench WORKLOAD --alone REQUEST`, with the
//! variant's environment, the command line's data flags and settings, and the split seed; the
//! child trains the variant once on the same split and prints what it measured as one JSON line.

use std::process::{Command, ExitCode};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bench_core::Assignment;
use mnist_data::Split;
use serde::{Deserialize, Serialize};

use super::args::BenchArgs;
use super::measure::{Measured, measure, without_validation};
use super::workloads::{self, Built};
use crate::child::{self, Ended};

/// What the child is asked to run.
#[derive(Debug, Serialize, Deserialize)]
struct Request {
    /// The workload's name.
    workload: String,
    /// The variant's row label.
    variant: String,
    /// The model seed of this round.
    model_seed: u64,
    /// Epochs of the run (the backend's own when `None`).
    epochs: Option<usize>,
}

/// What the child measured, its one line of stdout.
#[derive(Debug, Serialize, Deserialize)]
struct Answer {
    seconds: f64,
    test_accuracy: f64,
    /// The allocator setting in force in the child (`bench_core::malloc::description`).
    allocator: String,
}

/// Why a run in a process of its own gave no figure.
pub enum AloneError {
    /// The user pressed Ctrl-C.
    Interrupted,
    /// It failed or ran past its limit: the reason.
    Failed(String),
}

/// Runs `built` once in a child process (see the module's docs) and returns what it measured,
/// with the allocator setting the child ran with.
pub fn measure_alone(
    args: &BenchArgs,
    built: &Built,
    model_seed: u64,
    epochs: Option<usize>,
    limit: Duration,
) -> Result<(Measured, String), AloneError> {
    let failed = |e: anyhow::Error| AloneError::Failed(format!("{e:#}"));
    let request = Request {
        workload: built.declared.workload.name.to_string(),
        variant: built.label.to_string(),
        model_seed,
        epochs,
    };
    let exe = std::env::current_exe()
        .context("cannot find this program to run a variant in a process of its own")
        .map_err(failed)?;
    let mut cmd = Command::new(exe);
    cmd.args(["bench", &request.workload, "--alone"])
        .arg(serde_json::to_string(&request).map_err(|e| failed(e.into()))?)
        .args([
            "--seed",
            &args.seed.to_string(),
            "--dataset",
            &args.data.dataset,
        ]);
    if let Some(dir) = &args.data.data_dir {
        cmd.arg("--data-dir").arg(dir);
    }
    if args.data.skip_checksum {
        cmd.arg("--skip-checksum");
    }
    for a in args.settings.assignments().map_err(failed)? {
        cmd.arg("--set")
            .arg(format!("{}.{}={}", a.backend, a.setting, a.value));
    }
    cmd.envs(built.env.iter().copied());
    let ended = child::run(cmd, limit)
        .context("cannot start a variant's process")
        .map_err(failed)?;
    match ended {
        Ended::Interrupted => Err(AloneError::Interrupted),
        Ended::TimedOut => Err(AloneError::Failed(format!(
            "ran past {} s in its own process and was stopped",
            limit.as_secs()
        ))),
        Ended::Exited {
            status,
            stdout,
            stderr,
        } => {
            let answer = status
                .success()
                .then(|| stdout.lines().last())
                .flatten()
                .and_then(|line| serde_json::from_str::<Answer>(line).ok());
            match answer {
                Some(a) => Ok((
                    Measured {
                        seconds: a.seconds,
                        test_accuracy: a.test_accuracy,
                    },
                    a.allocator,
                )),
                None => Err(AloneError::Failed(format!(
                    "its own process ended with {status}: {}",
                    last_line(&stderr)
                ))),
            }
        }
    }
}

/// The child's side: runs the variant `request` names once and prints what it measured.
pub fn run_child(args: &BenchArgs, request: &str) -> Result<ExitCode> {
    let request: Request = serde_json::from_str(request)
        .context("--alone is for bench's own use: a request it could not read")?;
    let declared = workloads::find(&request.workload)?;
    let Some(variant) = declared
        .workload
        .variants
        .iter()
        .find(|v| v.label == request.variant)
    else {
        bail!("{} has no variant {:?}", request.workload, request.variant);
    };
    // The variant's environment is the parent's to give: a run by hand without it would time
    // another configuration under the variant's name.
    for (name, value) in variant.env {
        if std::env::var(name).ok().as_deref() != Some(value) {
            bail!(
                "{} needs {name}={value} in its environment; bench --reference gives it",
                variant.label
            );
        }
    }
    let settings: Vec<Assignment> = args.settings.assignments()?;
    let built = workloads::build_variant(declared, variant, &settings)?;
    let mnist = args.data.load()?.mnist;
    let split = without_validation(Split::new(
        &mnist.train,
        &mnist.test,
        declared.workload.split.spec(args.seed),
    )?);
    drop(mnist);
    let m = measure(
        built.backend.as_ref(),
        declared.workload.unit,
        &split,
        request.epochs,
        request.model_seed,
    )?;
    let answer = Answer {
        seconds: m.seconds,
        test_accuracy: m.test_accuracy,
        allocator: bench_core::malloc::description().to_string(),
    };
    println!("{}", serde_json::to_string(&answer)?);
    Ok(ExitCode::SUCCESS)
}

/// The last non-empty line of `text`, or a word saying there was none.
fn last_line(text: &str) -> &str {
    text.lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("(no message)")
}
