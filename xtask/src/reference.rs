//! `cargo xtask bench --reference PYTHON`: each Rust workload side by side with its Python twin
//! (`xtask/reference/*.py`, the notebook's models), alternated round by round so that machine load
//! hits both alike, on the same exported split.
//!
//! A round runs every selected workload once, each followed by its twins; round `r` uses model
//! seed `--seed + r` on both sides (the split stays that of `--seed`). Both sides train on the
//! training part alone, with no validation pass, and score the test part once. A run's time is
//! the median of its epochs (the fit time for the logistic regressions); the table gives the
//! median over rounds of each side, the ratio, and the test accuracy of each, mean ± std over
//! rounds.

use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use bench_core::{Assignment, Backend, EpochStats, Hyperparams, Observer, TrainData};
use mnist_data::{Split, SplitKind, SplitSpec};
use serde_json::{Value, json};

use clap::ValueEnum;

use crate::bench::{BenchArgs, Target, median};
use crate::child::Ended;
use crate::progress::interrupted;
use crate::{provenance, registry};

/// What to install for every twin.
pub const PIP_INSTALL: &str = "pip install numpy scikit-learn torch tensorflow-cpu threadpoolctl";

/// `bench --help`'s words on the reference mode.
pub fn after_help() -> String {
    format!(
        "Side by side with Python (--reference): the interpreter needs\n  {PIP_INSTALL}\n\
         A missing interpreter or package is reported in one line; the Rust figures are still \
         measured.\nOPENBLAS_CORETYPE and OPENBLAS_L2_SIZE reach NumPy and scikit-learn as set; the \
         OpenBLAS kernel that ran is recorded with the table."
    )
}

/// The two splits the workloads use, as the plain benchmarks do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum SplitChoice {
    /// The notebook's protocol with nothing held out: 56k train, 14k test.
    Pooled,
    /// The official files with 20% of the training file held out (and unused), as the notebook's
    /// Keras run (`validation_split=0.2`): 48k train, the official 10k test.
    Standard80,
}

impl SplitChoice {
    fn spec(self, seed: u64) -> SplitSpec {
        match self {
            Self::Pooled => SplitSpec {
                kind: SplitKind::Pooled8020,
                seed,
                validation_fraction: 0.0,
            },
            Self::Standard80 => SplitSpec {
                kind: SplitKind::Standard,
                seed,
                validation_fraction: 0.2,
            },
        }
    }

    fn index(self) -> usize {
        self as usize
    }
}

/// A Rust side of the table.
struct Workload {
    label: &'static str,
    target: Target,
    split: SplitChoice,
    backend: Box<dyn Backend>,
}

/// A Python side of the table.
struct Twin {
    label: &'static str,
    script: &'static str,
    dtype: &'static str,
    split: SplitChoice,
    /// Epoch count the twin trains for when `--epochs` is not given; `None` for a fit.
    epochs: Option<usize>,
    /// The workload it runs after in each round (a twin shared by two workloads runs once).
    after: &'static str,
}

/// (workload, twin, note) triples: the rows of the table.
const ROWS: [(&str, &str, &str); 10] = [
    ("scratch", "NumPy f32", "same precision"),
    ("scratch", "NumPy f64", "the notebook's float64"),
    ("linfa f32", "scikit-learn f32", "same precision"),
    ("linfa f64", "scikit-learn f64", "same precision"),
    ("linfa f32", "scikit-learn f64", "the notebook's pairing"),
    ("burn ndarray", "PyTorch", ""),
    ("burn flex", "PyTorch", ""),
    ("burn ndarray", "Keras", "the notebook's framework"),
    ("burn flex", "Keras", "the notebook's framework"),
    ("cnn flex", "PyTorch CNN", "same network"),
];

/// Every workload, each built through the registry from the command line's `settings` with the
/// workload's own setting on top (so `--set scratch.threads=1` reaches the table as it reaches
/// `bench`).
fn workloads(settings: &[Assignment]) -> Result<Vec<Workload>> {
    use SplitChoice::{Pooled, Standard80};
    let table: Vec<(&'static str, Target, SplitChoice, Option<&str>)> = vec![
        ("scratch", Target::ScratchEpoch, Pooled, None),
        (
            "linfa f32",
            Target::LinfaFit,
            Pooled,
            Some("linfa.precision=f32"),
        ),
        (
            "linfa f64",
            Target::LinfaFit,
            Pooled,
            Some("linfa.precision=f64"),
        ),
        (
            "burn ndarray",
            Target::BurnEpoch,
            Standard80,
            Some("burn.device=ndarray"),
        ),
        #[cfg(feature = "flex")]
        (
            "burn flex",
            Target::BurnEpoch,
            Standard80,
            Some("burn.device=flex"),
        ),
        // The cnn on Flex only: on ndarray one epoch takes minutes (see docs/benchmarks.md).
        #[cfg(feature = "flex")]
        (
            "cnn flex",
            Target::CnnEpoch,
            Standard80,
            Some("cnn.device=flex"),
        ),
    ];
    table
        .into_iter()
        .map(|(label, target, split, own)| {
            let mut assigned = settings.to_vec();
            assigned.extend(
                own.map(str::parse::<Assignment>)
                    .transpose()
                    .map_err(anyhow::Error::msg)?,
            );
            Ok(Workload {
                label,
                target,
                split,
                backend: registry::one(target.backend(), &assigned)?,
            })
        })
        .collect()
}

const TWINS: [Twin; 7] = [
    Twin {
        label: "NumPy f32",
        script: "numpy_mlp.py",
        dtype: "float32",
        split: SplitChoice::Pooled,
        epochs: Some(10),
        after: "scratch",
    },
    Twin {
        label: "NumPy f64",
        script: "numpy_mlp.py",
        dtype: "float64",
        split: SplitChoice::Pooled,
        epochs: Some(10),
        after: "scratch",
    },
    Twin {
        label: "scikit-learn f32",
        script: "sklearn_logistic.py",
        dtype: "float32",
        split: SplitChoice::Pooled,
        epochs: None,
        after: "linfa f32",
    },
    Twin {
        label: "scikit-learn f64",
        script: "sklearn_logistic.py",
        dtype: "float64",
        split: SplitChoice::Pooled,
        epochs: None,
        after: "linfa f64",
    },
    Twin {
        label: "PyTorch",
        script: "torch_mlp.py",
        dtype: "float32",
        split: SplitChoice::Standard80,
        epochs: Some(20),
        after: "burn ndarray",
    },
    Twin {
        label: "Keras",
        script: "keras_mlp.py",
        dtype: "float32",
        split: SplitChoice::Standard80,
        epochs: Some(20),
        after: "burn ndarray",
    },
    Twin {
        label: "PyTorch CNN",
        script: "torch_cnn.py",
        dtype: "float32",
        split: SplitChoice::Standard80,
        epochs: Some(7),
        after: "cnn flex",
    },
];

/// What one run (Rust or Python) measured.
#[derive(Debug, Clone)]
struct Measured {
    /// Median epoch time, or the fit time.
    seconds: f64,
    test_accuracy: f64,
}

/// Everything one side of the table measured, plus what the twin said about itself.
#[derive(Debug, Default)]
struct Side {
    runs: Vec<Measured>,
    /// The twin's last JSON record (versions, threads, BLAS), or why it could not run.
    about: Option<Value>,
    failure: Option<String>,
}

impl Side {
    fn median_seconds(&self) -> Option<f64> {
        (!self.runs.is_empty())
            .then(|| median(&self.runs.iter().map(|m| m.seconds).collect::<Vec<_>>()))
    }

    /// Mean and sample standard deviation of the test accuracies (0 for a single run).
    fn accuracy(&self) -> Option<(f64, f64)> {
        let acc: Vec<f64> = self.runs.iter().map(|m| m.test_accuracy).collect();
        let (mean, std) = report::stats::mean_std(&acc);
        Some((mean?, std.unwrap_or(0.0)))
    }

    fn to_json(&self) -> Value {
        json!({
            "median_seconds": self.median_seconds(),
            "seconds": self.runs.iter().map(|m| m.seconds).collect::<Vec<_>>(),
            "test_accuracy": self.runs.iter().map(|m| m.test_accuracy).collect::<Vec<_>>(),
            "failure": self.failure,
        })
    }
}

/// Runs the side-by-side benchmark, prints the table and writes it into `--out`.
/// Exits 2 when a side could not run (the table says which and why).
pub fn run(args: &BenchArgs, python: &Path) -> Result<ExitCode> {
    let rounds = args.rounds;
    if rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if let Some(e) = args.epochs
        && e == 0
    {
        bail!("--epochs must be at least 1");
    }
    // What produced the table, read once as the run starts (the tree may change while it runs).
    let machine = provenance::cpu();
    let build = provenance::build();
    let commit = provenance::git_commit();
    let date = provenance::now_utc();
    if args.out.is_none() && args.target.is_none() && !cfg!(feature = "flex") {
        bail!(
            "bench --reference without a target would replace benchmarks/, whose table has the \
             Flex rows, with one without them (this build lacks the `flex` cargo feature): run \
             `cargo xtask-flex bench --reference ...`, or give --out DIR"
        );
    }
    let out = args.out.clone().unwrap_or_else(|| default_out(args.target));
    report::check_replaceable(&out).context("--out")?;

    let all = workloads(&args.settings.assignments()?)?;
    // The Rust side trains without a validation set (timed epochs only): a setting that needs
    // one (early stopping) is refused before anything runs.
    if let Some(reason) = all.iter().find_map(|w| w.backend.needs_validation()) {
        bail!("{reason} (bench --reference trains without one)");
    }
    let selected: Vec<usize> = (0..all.len())
        .filter(|&w| args.target.is_none_or(|t| all[w].target == t))
        .collect();
    let rows: Vec<(usize, usize, &str)> = ROWS
        .iter()
        .filter_map(|&(w, t, note)| {
            let w = all.iter().position(|x| x.label == w)?;
            let t = TWINS.iter().position(|x| x.label == t)?;
            selected.contains(&w).then_some((w, t, note))
        })
        .collect();
    if rows.is_empty() {
        bail!(
            "bench {} --reference: no side-by-side row for it in this build, so nothing was run \
             or written; its rows need Flex: rebuild with the `flex` cargo feature (`cargo \
             xtask-flex bench ...`)",
            args.target.map_or("".to_string(), target_name)
        );
    }
    let mut twins_used: Vec<usize> = rows.iter().map(|r| r.1).collect();
    twins_used.sort_unstable();
    twins_used.dedup();

    let scripts = provenance::workspace_root().join("xtask").join("reference");
    for var in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] {
        if let Ok(v) = std::env::var(var) {
            eprintln!(
                "note: {var}={v} is set and reaches NumPy and scikit-learn (OpenBLAS); unset it \
                 for the kernel a user's CPU would get (the kernel that ran is recorded)"
            );
        }
    }

    let loaded = args.data.load()?;
    let data_origin = loaded.describe();
    let mnist = loaded.mnist;
    let splits: Vec<Split> = [SplitChoice::Pooled, SplitChoice::Standard80]
        .iter()
        .map(|c| Split::new(&mnist.train, &mnist.test, c.spec(args.seed)))
        .collect::<Result<_, _>>()?;
    drop(mnist);
    // The twins read the same splits, exported once as raw IDX files.
    let exported = tempfile::Builder::new()
        .prefix("mnist-compare-reference-")
        .tempdir()
        .context("cannot create a temporary folder for the exported splits")?;
    let split_dirs: Vec<PathBuf> = splits
        .iter()
        .enumerate()
        .map(|(i, split)| {
            let dir = exported.path().join(format!("split-{i}"));
            std::fs::create_dir(&dir)
                .map_err(anyhow::Error::from)
                .and_then(|()| crate::export::write_split(&dir, split))
                .with_context(|| format!("cannot export the split into {}", dir.display()))?;
            Ok(dir)
        })
        .collect::<Result<_>>()?;

    let mut rust: Vec<Side> = all.iter().map(|_| Side::default()).collect();
    let mut python_sides: Vec<Side> = TWINS.iter().map(|_| Side::default()).collect();
    let mut python_ok = true;
    // Each failure is said once, however many rows and rounds it touches.
    let mut said: Vec<String> = Vec::new();
    let mut say = |msg: &str| {
        if !said.iter().any(|s| s == msg) {
            eprintln!("{msg}");
            said.push(msg.to_string());
        }
    };
    let limit = Duration::from_secs(args.twin_timeout);
    for round in 0..rounds {
        let seed = args.seed + round as u64;
        for &w in &selected {
            let work = &all[w];
            let split = &splits[work.split.index()];
            match run_rust(work.backend.as_ref(), args.epochs, seed, split) {
                Ok(m) => {
                    eprintln!(
                        "round {}/{rounds}, seed {seed}: {} {:.3} s, test {:.2}%",
                        round + 1,
                        work.label,
                        m.seconds,
                        100.0 * m.test_accuracy
                    );
                    rust[w].runs.push(m);
                }
                Err(e) => {
                    say(&format!("{}: {e:#}", work.label));
                    rust[w].failure = Some(format!("{e:#}"));
                }
            }
            if interrupted() {
                return Ok(stopped(&out));
            }
            for &t in twins_used.iter().filter(|&&t| TWINS[t].after == work.label) {
                let twin = &TWINS[t];
                if !python_ok || python_sides[t].failure.is_some() {
                    continue;
                }
                let dir = &split_dirs[twin.split.index()];
                match run_twin(python, &scripts, twin, dir, seed, args.epochs, limit) {
                    Ok((m, about)) => {
                        eprintln!(
                            "round {}/{rounds}, seed {seed}: {} {:.3} s, test {:.2}%",
                            round + 1,
                            twin.label,
                            m.seconds,
                            100.0 * m.test_accuracy
                        );
                        python_sides[t].runs.push(m);
                        python_sides[t].about = Some(about);
                    }
                    Err(TwinError::NoPython(msg)) => {
                        say(&msg);
                        python_ok = false;
                        for side in &mut python_sides {
                            side.failure = Some(msg.clone());
                        }
                    }
                    Err(TwinError::Failed(msg)) => {
                        say(&msg);
                        python_sides[t].failure = Some(msg);
                    }
                    Err(TwinError::Interrupted) => return Ok(stopped(&out)),
                }
                if interrupted() {
                    return Ok(stopped(&out));
                }
            }
        }
    }

    let command = provenance::command_line();
    let versions = provenance::versions_line();
    let about_splits = format!(
        "Data: {data_origin}. scratch, linfa and their twins: split pooled-80-20 (seed {seed}), \
         {} train / {} test images; burn, the cnn and their twins: split standard with 20% of the training \
         file held out and unused (as the notebook's Keras `validation_split=0.2`), {} train / {} \
         test images.",
        splits[0].train.len(),
        splits[0].test.len(),
        splits[1].train.len(),
        splits[1].test.len(),
        seed = args.seed
    );
    let markdown = table_markdown(
        &rows,
        &all,
        &rust,
        &python_sides,
        &format!(
            "`{command}`: {rounds} alternated rounds, model seeds {} to {}. \
             Machine: {machine}; build: {build}; versions: {versions}; commit {commit}; {date}.",
            args.seed,
            args.seed + rounds as u64 - 1
        ),
        &about_splits,
    );
    println!("{markdown}");
    let record = json!({
        "command": command,
        "versions": versions,
        "machine": machine,
        "build": build,
        "commit": commit,
        "date": date,
        "rounds": rounds,
        "seed": args.seed,
        "data": about_splits,
        "rows": rows.iter().map(|&(w, t, note)| {
            json!({
                "rust": all[w].label,
                "twin": TWINS[t].label,
                "note": note,
                "unit": unit(all[w].target),
                "ratio_twin_over_rust": ratio(&rust[w], &python_sides[t]),
                "rust_side": rust[w].to_json(),
                "twin_side": python_sides[t].to_json(),
            })
        }).collect::<Vec<_>>(),
        "twins": twins_used.iter().map(|&t| json!({
            "twin": TWINS[t].label,
            "script": format!("xtask/reference/{}", TWINS[t].script),
            "dtype": TWINS[t].dtype,
            "about": python_sides[t].about,
        })).collect::<Vec<_>>(),
    });
    let json_text = serde_json::to_string_pretty(&record)?;
    if interrupted() {
        return Ok(stopped(&out));
    }
    report::replace_dir_atomically(&out, |dir| {
        std::fs::write(dir.join("reference.md"), &markdown)?;
        std::fs::write(dir.join("reference.json"), &json_text)?;
        Ok::<(), anyhow::Error>(())
    })
    .with_context(|| format!("--out {}: the table was not written", out.display()))?;
    println!("written to {}", out.display());
    let failed = rust
        .iter()
        .chain(&python_sides)
        .any(|s| s.failure.is_some());
    Ok(if failed {
        ExitCode::from(crate::EXIT_RUNS_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// `benchmarks/` at the workspace root for every row, `benchmarks/<target>/` for one target's
/// rows, so that a quick look at one workload never replaces the table of all of them.
pub fn default_out(target: Option<Target>) -> PathBuf {
    let root = provenance::workspace_root().join("benchmarks");
    match target {
        Some(t) => root.join(target_name(t)),
        None => root,
    }
}

/// A target as the command line names it, e.g. `burn-epoch`.
fn target_name(target: Target) -> String {
    target
        .to_possible_value()
        .map_or_else(|| format!("{target:?}"), |v| v.get_name().to_string())
}

/// After Ctrl-C: nothing is written, the exit status says so.
fn stopped(out: &Path) -> ExitCode {
    eprintln!(
        "interrupted: no table written; {} is untouched",
        out.display()
    );
    ExitCode::from(crate::EXIT_INTERRUPTED)
}

fn unit(target: Target) -> &'static str {
    match target {
        Target::LinfaFit => "fit",
        Target::ScratchEpoch | Target::BurnEpoch | Target::CnnEpoch => "epoch",
    }
}

/// Twin's median over the Rust median: above 1 the Rust side is faster.
fn ratio(rust: &Side, twin: &Side) -> Option<f64> {
    Some(twin.median_seconds()? / rust.median_seconds()?)
}

/// Trains `backend` as its twins train: on the split's training part alone (no validation pass
/// inside the timed epochs, as the bench targets), then scores the test part.
fn run_rust(
    backend: &dyn Backend,
    epochs: Option<usize>,
    seed: u64,
    split: &Split,
) -> Result<Measured> {
    let defaults = backend.defaults();
    let is_fit = backend.history_unit() == bench_core::HistoryUnit::Iteration;
    let hp = Hyperparams {
        seed,
        epochs: if is_fit {
            defaults.epochs
        } else {
            epochs.unwrap_or(defaults.epochs)
        },
        ..defaults
    };
    let hp = bench_core::prepare(backend, hp)?;
    let data = TrainData {
        train: &split.train,
        validation: None,
    };
    let mut epochs = EpochTimes::default();
    let started = Instant::now();
    let model = backend.train(&hp, &data, &mut epochs)?;
    let fit_seconds = started.elapsed().as_secs_f64();
    if let Some(bad) = epochs.losses.iter().find(|&&l| bench_core::diverged(l)) {
        bail!("diverged: the training loss reached {bad:.3e}");
    }
    let predictions = model.predict(&split.test)?;
    Ok(Measured {
        seconds: if is_fit {
            fit_seconds
        } else {
            median(&epochs.seconds)
        },
        test_accuracy: bench_core::accuracy(&predictions, split.test.labels()),
    })
}

/// Collects each epoch's time and loss.
#[derive(Debug, Default)]
struct EpochTimes {
    seconds: Vec<f64>,
    losses: Vec<f64>,
}

impl Observer for EpochTimes {
    fn epoch(&mut self, stats: &EpochStats) {
        self.seconds.push(stats.seconds);
        self.losses.push(stats.train_loss);
    }

    fn cancelled(&self) -> bool {
        interrupted()
    }
}

enum TwinError {
    /// The interpreter itself cannot run: no twin will.
    NoPython(String),
    /// This twin failed (a missing package, a crash, past its time limit).
    Failed(String),
    /// The user pressed Ctrl-C: the twin was killed and waited for.
    Interrupted,
}

fn run_twin(
    python: &Path,
    scripts: &Path,
    twin: &Twin,
    dir: &Path,
    seed: u64,
    epochs: Option<usize>,
    limit: Duration,
) -> Result<(Measured, Value), TwinError> {
    let mut cmd = Command::new(python);
    cmd.arg(scripts.join(twin.script)).arg(dir).args([
        "--seed",
        &seed.to_string(),
        "--dtype",
        twin.dtype,
    ]);
    if let Some(default) = twin.epochs {
        cmd.args(["--epochs", &epochs.unwrap_or(default).to_string()]);
    }
    let ended = crate::child::run(cmd, limit).map_err(|e| {
        TwinError::NoPython(format!(
            "--reference {}: cannot run it ({e}); name a Python 3 interpreter with the twins' \
             packages ({PIP_INSTALL}); the Rust figures are still measured",
            python.display()
        ))
    })?;
    let (status, stdout, stderr) = match ended {
        Ended::Exited {
            status,
            stdout,
            stderr,
        } => (status, stdout, stderr),
        Ended::Interrupted => return Err(TwinError::Interrupted),
        Ended::TimedOut => {
            return Err(TwinError::Failed(format!(
                "{} ({}) ran past --twin-timeout ({} s) and was stopped",
                twin.label,
                twin.script,
                limit.as_secs()
            )));
        }
    };
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
        return Err(TwinError::Interrupted);
    }
    if !status.success() {
        let why = stderr
            .lines()
            .rev()
            .find(|l| !l.trim().is_empty())
            .unwrap_or("no message");
        return Err(TwinError::Failed(format!(
            "{} exited with {}: {why}",
            twin.script, status
        )));
    }
    let record = parsed.ok_or_else(|| {
        TwinError::Failed(format!(
            "{} printed no JSON line (last line: {:?})",
            twin.script,
            last.unwrap_or("")
        ))
    })?;
    let seconds: Vec<f64> = record
        .get("seconds")
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_f64).collect())
        .unwrap_or_default();
    let accuracy = record.get("test_accuracy").and_then(Value::as_f64);
    match (seconds.is_empty(), accuracy) {
        (false, Some(test_accuracy)) => Ok((
            Measured {
                seconds: median(&seconds),
                test_accuracy,
            },
            record,
        )),
        _ => Err(TwinError::Failed(format!(
            "{} printed JSON without `seconds` and `test_accuracy`",
            twin.script
        ))),
    }
}

fn fmt_seconds(s: Option<f64>) -> String {
    s.map_or_else(|| "—".to_string(), |s| format!("{s:.3} s"))
}

fn fmt_accuracy(side: &Side) -> String {
    match side.accuracy() {
        Some((mean, std)) if side.runs.len() > 1 => {
            format!(
                "{:.2}% ± {:.2} (n={})",
                100.0 * mean,
                100.0 * std,
                side.runs.len()
            )
        }
        Some((mean, _)) => format!("{:.2}%", 100.0 * mean),
        None => "—".to_string(),
    }
}

/// "2.10x faster" / "1.50x slower": how the Rust side compares.
fn fmt_ratio(r: Option<f64>) -> String {
    match r {
        Some(r) if r >= 1.0 => format!("{r:.2}x faster"),
        Some(r) => format!("{:.2}x slower", 1.0 / r),
        None => "—".to_string(),
    }
}

fn table_markdown(
    rows: &[(usize, usize, &str)],
    all: &[Workload],
    rust: &[Side],
    twins: &[Side],
    headline: &str,
    about_splits: &str,
) -> String {
    let mut s = String::new();
    s.push_str(&format!("{headline}\n\n"));
    s.push_str(
        "| Rust | twin | per | Rust median | twin median | Rust is | Rust test accuracy | twin test accuracy |\n\
         |:---|:---|:---|---:|---:|:---|---:|---:|\n",
    );
    for &(w, t, note) in rows {
        let twin_label = if note.is_empty() {
            TWINS[t].label.to_string()
        } else {
            format!("{} ({note})", TWINS[t].label)
        };
        s.push_str(&format!(
            "| {} | {twin_label} | {} | {} | {} | {} | {} | {} |\n",
            all[w].label,
            unit(all[w].target),
            fmt_seconds(rust[w].median_seconds()),
            fmt_seconds(twins[t].median_seconds()),
            fmt_ratio(ratio(&rust[w], &twins[t])),
            fmt_accuracy(&rust[w]),
            fmt_accuracy(&twins[t]),
        ));
    }
    let mut notes = Vec::new();
    for (side, label) in all
        .iter()
        .zip(rust)
        .map(|(w, s)| (s, w.label))
        .chain(TWINS.iter().zip(twins).map(|(t, s)| (s, t.label)))
    {
        if let Some(f) = &side.failure
            && !notes.contains(f)
        {
            notes.push(f.clone());
            s.push_str(&format!("\n{label}: {f}\n"));
        }
    }
    s.push_str(&format!(
        "\nTimes: median over rounds of each run's median epoch (of the whole fit for the logistic \
         regressions). Test accuracy: mean ± std over the rounds' model seeds. {about_splits}\n"
    ));
    for (t, side) in TWINS.iter().zip(twins) {
        if let Some(about) = &side.about {
            s.push_str(&format!("\n- {}: {}", t.label, describe_twin(about)));
        }
    }
    s.push('\n');
    s
}

/// Versions, threads and BLAS kernel a twin reported, in one line.
fn describe_twin(about: &Value) -> String {
    let versions = about
        .get("versions")
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .map(|(k, v)| format!("{k} {}", v.as_str().unwrap_or("?")))
                .collect::<Vec<_>>()
                .join(", ")
        })
        .unwrap_or_default();
    let threads = about.get("threads").and_then(Value::as_u64).unwrap_or(0);
    let blas = about
        .get("blas")
        .and_then(Value::as_array)
        .map(|pools| {
            pools
                .iter()
                .filter_map(|p| {
                    let api = p.get("internal_api")?.as_str()?;
                    let version = p
                        .get("version")
                        .and_then(Value::as_str)
                        .map(|v| format!(" {v}"))
                        .unwrap_or_default();
                    let arch = p
                        .get("architecture")
                        .and_then(Value::as_str)
                        .map(|a| format!(" kernel {a}"))
                        .unwrap_or_default();
                    let n = p.get("num_threads").and_then(Value::as_u64).unwrap_or(0);
                    Some(format!("{api}{version}{arch} ({n} threads)"))
                })
                .collect::<Vec<_>>()
                .join("; ")
        })
        .unwrap_or_default();
    let env = about
        .get("env")
        .and_then(Value::as_object)
        .filter(|m| !m.is_empty())
        .map(|m| {
            format!(
                "; set: {}",
                m.iter()
                    .map(|(k, v)| format!("{k}={}", v.as_str().unwrap_or("?")))
                    .collect::<Vec<_>>()
                    .join(" ")
            )
        })
        .unwrap_or_default();
    format!("{versions}; {threads} threads; BLAS {blas}{env}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_row_and_twin_names_a_known_workload() {
        let all = workloads(&[]).unwrap();
        // The Flex workloads exist with the `flex` feature alone.
        let known = |label: &str| {
            all.iter().any(|w| w.label == label)
                || (!cfg!(feature = "flex") && label.ends_with(" flex"))
        };
        for (w, t, _) in ROWS {
            assert!(known(w), "row names no workload {w:?}");
            assert!(
                TWINS.iter().any(|x| x.label == t),
                "row names no twin {t:?}"
            );
        }
        for twin in &TWINS {
            assert!(
                known(twin.after),
                "{} runs after unknown {:?}",
                twin.label,
                twin.after
            );
            // It runs after a workload whose rows it is in, on the same split.
            assert!(ROWS.iter().any(|r| r.0 == twin.after && r.1 == twin.label));
            let Some(after) = all.iter().find(|w| w.label == twin.after) else {
                continue; // a Flex workload, not compiled in
            };
            assert_eq!(after.split, twin.split, "{}", twin.label);
            // By default it trains as long as the backend it is compared with.
            if let Some(epochs) = twin.epochs {
                assert_eq!(after.backend.defaults().epochs, epochs, "{}", twin.label);
            }
        }
    }

    #[test]
    fn one_target_writes_its_own_folder_never_the_table_of_all() {
        let root = provenance::workspace_root().join("benchmarks");
        assert_eq!(default_out(None), root);
        assert_eq!(
            default_out(Some(Target::BurnEpoch)),
            root.join("burn-epoch")
        );
    }

    #[test]
    fn ratios_read_as_the_rust_side_faster_or_slower() {
        assert_eq!(fmt_ratio(Some(5.1)), "5.10x faster");
        assert_eq!(fmt_ratio(Some(0.5)), "2.00x slower");
        assert_eq!(fmt_ratio(None), "—");
    }
}
