//! `cargo xtask bench --reference PYTHON`: each declared variant side by side with its Python
//! twins, alternated round by round so that machine load hits both alike, on the same exported
//! split.
//!
//! A round runs every selected variant once, each followed by the twins it is the first to use
//! (a twin shared by two variants runs once a round); round `r` uses model seed `--seed + r` on
//! both sides (the split stays that of `--seed`). Both sides train on the training part alone,
//! with no validation pass, and score the test part once. A run's figure is the median of its
//! epochs (the fit time for a fit); the table gives the median over rounds of each side, the
//! ratio, and the test accuracy of each, mean ± std over rounds. A variant with an environment of
//! its own (a process-wide setting, such as glibc's default allocator for a framework as it
//! ships) runs in a process of its own each round ([`super::alone`]); a twin's time limit holds
//! for it too.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bench_core::WorkSplit;
use mnist_data::Split;
use serde_json::json;

use super::alone::{AloneError, measure_alone};
use super::args::BenchArgs;
use super::destination::{self, default_out, guard_committed_table, stopped};
use super::measure::{Measured, measure, run_length, without_validation};
use super::table::{Row, RustColumn, Side, Table, TwinColumn};
use super::twin::{self, TwinError};
use super::workloads::{self, Built, Declared};
use crate::progress::interrupted;
use crate::provenance;

/// Runs the side-by-side benchmark of the workloads `declared` (every one when `None`),
/// alternated in one run; prints the table
/// and writes it into `--out`. Exits 2 when a side could not run (the table says which and why).
pub fn run(args: &BenchArgs, python: &Path, declared: Option<Vec<Declared>>) -> Result<ExitCode> {
    check_args(args)?;
    // What produced the table, read once as the run starts (the tree may change while it runs).
    let stamp = Stamp {
        machine: provenance::cpu(),
        build: provenance::build(),
        commit: provenance::git_commit(),
        date: provenance::now_utc(),
    };
    let selected = declared.clone().unwrap_or_else(workloads::declared);
    let (built, mut left_out) =
        workloads::build_selected(&selected, &args.settings.assignments()?)?;
    if declared.is_none() {
        // Every workload: those of a backend this build lacks are missing too.
        left_out.extend(crate::registry::left_out());
    }
    let replaces_committed = check_destination(args, python, declared.as_deref(), &left_out)?;
    let out = args
        .out
        .clone()
        .unwrap_or_else(|| default_out(declared.as_deref()));
    let output = crate::output::claim(&out, args.out.is_some())?;
    // The Rust side trains without a validation set (timed epochs only): a setting that needs
    // one (early stopping) is refused before anything runs.
    if let Some(reason) = built.iter().find_map(|b| b.backend.needs_validation()) {
        bail!("{reason} (bench --reference trains without one)");
    }

    let (mut table, first_user) = layout(&built);
    note_blas_environment();
    let data = Splits::load_and_export(args)?;
    let mut rounds = Rounds {
        args,
        python,
        built: &built,
        data: &data,
        first_user: &first_user,
        out: &out,
        root: provenance::workspace_root(),
        limit: Duration::from_secs(args.twin_timeout),
        python_ok: true,
        said: Vec::new(),
    };
    if let Some(code) = rounds.run(&mut table) {
        return Ok(code);
    }

    let about_splits = describe_splits(args.seed, &data.origin, &built, &data.splits);
    let (markdown, json_text) = print_table(args, &stamp, &table, &about_splits, &left_out)?;
    if interrupted() {
        return Ok(stopped(&out, "Ctrl-C"));
    }
    let out = destination::write(&output, replaces_committed && table.any_failed(), |dir| {
        std::fs::write(dir.join("reference.md"), &markdown)?;
        std::fs::write(dir.join("reference.json"), &json_text)?;
        Ok(())
    })?;
    println!("written to {}", out.display());
    Ok(if table.any_failed() {
        ExitCode::from(crate::EXIT_RUNS_FAILED)
    } else {
        ExitCode::SUCCESS
    })
}

/// What produced the table: the machine, the build, the commit and the date.
struct Stamp {
    machine: String,
    build: String,
    commit: String,
    date: String,
}

/// Refuses counts that leave nothing to run or seeds past the largest.
fn check_args(args: &BenchArgs) -> Result<()> {
    let rounds = args.rounds;
    if rounds == 0 {
        bail!("--rounds must be at least 1");
    }
    if args.epochs == Some(0) {
        bail!("--epochs must be at least 1");
    }
    if args.seed.checked_add(rounds as u64).is_none() {
        bail!(
            "--seed {} leaves no room for {rounds} rounds' seeds",
            args.seed
        );
    }
    Ok(())
}

/// Whether this run replaces the committed table of every workload, refusing one that would
/// replace it with a table lacking some (the workloads `left_out`), and saying what is left out.
fn check_destination(
    args: &BenchArgs,
    python: &Path,
    declared: Option<&[Declared]>,
    left_out: &[String],
) -> Result<bool> {
    // The table of every workload, committed with the project, is replaced only by a run of the
    // defaults, in a build with every variant, that every side completes.
    let replaces_committed = declared.is_none()
        && args
            .out
            .as_deref()
            .is_none_or(destination::is_committed_table);
    if !left_out.is_empty() && replaces_committed {
        bail!(
            "bench --reference without a workload would replace benchmarks/, the table of every \
             workload, with one that lacks some: {}; nothing was run or written; give --out DIR",
            left_out.join("; ")
        );
    }
    for why in left_out {
        eprintln!("note: {why}");
    }
    if replaces_committed {
        guard_committed_table(args, python)?;
    }
    Ok(replaces_committed)
}

/// The empty table of `built`, with the first variant to use each twin column (the one it runs
/// after).
fn layout(built: &[Built]) -> (Table, Vec<usize>) {
    // Columns: every variant; every distinct twin (script and arguments), after the first
    // variant that uses it. Rows: each variant with each of its twins.
    let mut table = Table {
        rust: Vec::new(),
        twins: Vec::new(),
        rows: Vec::new(),
    };
    let mut first_user: Vec<usize> = Vec::new();
    for (r, b) in built.iter().enumerate() {
        table.rust.push(RustColumn {
            label: b.label,
            model: b.backend.model(),
            settings: b.backend.settings(),
            variant_settings: b.settings,
            own_process: !b.env.is_empty(),
            allocator: None,
            unit: b.declared.workload.unit,
            side: Side::default(),
        });
        for twin in &b.twins {
            let same = |c: &TwinColumn| c.twin.script == twin.script && c.twin.args == twin.args;
            let t = match table.twins.iter().position(same) {
                Some(t) => t,
                None => {
                    table.twins.push(TwinColumn {
                        twin: twin.clone(),
                        about: None,
                        side: Side::default(),
                    });
                    first_user.push(r);
                    table.twins.len() - 1
                }
            };
            table.rows.push(Row {
                rust: r,
                twin: t,
                note: twin.note,
            });
        }
    }
    (table, first_user)
}

/// Says which OpenBLAS overrides in the environment reach the twins.
fn note_blas_environment() {
    for var in ["OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE"] {
        if let Ok(v) = std::env::var(var) {
            eprintln!(
                "note: {var}={v} is set and reaches NumPy and scikit-learn (OpenBLAS); unset it \
                 for the kernel a user's CPU would get (the kernel that ran is recorded)"
            );
        }
    }
}

/// The splits both sides train on, one per work split, and their export for the twins.
struct Splits {
    /// Where the data came from and what it is.
    origin: String,
    /// One split per [`WorkSplit::ALL`], without a validation part.
    splits: Vec<Split>,
    /// The folder each split was exported into, in the same order.
    dirs: Vec<PathBuf>,
    /// The temporary folder holding the exports, removed when the run ends.
    _exported: tempfile::TempDir,
}

impl Splits {
    /// Loads the data `args` name, splits it every way the workloads need (split seed
    /// `--seed`) and exports each split as raw IDX files into a temporary folder.
    fn load_and_export(args: &BenchArgs) -> Result<Self> {
        let loaded = args.data.load()?;
        let origin = loaded.describe();
        let mnist = loaded.mnist;
        let splits: Vec<Split> = WorkSplit::ALL
            .iter()
            .map(|c| {
                Split::new(&mnist.train, &mnist.test, c.spec(args.seed)).map(without_validation)
            })
            .collect::<Result<_, _>>()?;
        drop(mnist);
        // The twins read the same splits, exported once as raw IDX files.
        let exported = tempfile::Builder::new()
            .prefix("mnist-compare-reference-")
            .tempdir()
            .context("cannot create a temporary folder for the exported splits")?;
        let dirs: Vec<PathBuf> = splits
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
        Ok(Self {
            origin,
            splits,
            dirs,
            _exported: exported,
        })
    }
}

/// The rounds of a run: what they share, and what they learn as they go.
struct Rounds<'a> {
    args: &'a BenchArgs,
    python: &'a Path,
    built: &'a [Built],
    data: &'a Splits,
    /// The first variant to use each twin column: the one it runs after.
    first_user: &'a [usize],
    /// Where the table would go (said untouched when interrupted).
    out: &'a Path,
    /// The workspace root, where the twins run from.
    root: PathBuf,
    /// A twin's time limit.
    limit: Duration,
    /// Whether the interpreter can run at all.
    python_ok: bool,
    /// The failures said so far: each is said once, however many rows and rounds it touches.
    said: Vec<String>,
}

impl Rounds<'_> {
    /// Every round: each variant on its split, then the twins it is the first to use, their
    /// figures added to `table`. The exit status when interrupted.
    fn run(&mut self, table: &mut Table) -> Option<ExitCode> {
        for round in 0..self.args.rounds {
            let seed = self.args.seed + round as u64;
            for r in 0..self.built.len() {
                if let Some(code) = self.rust_side(table, round, seed, r) {
                    return Some(code);
                }
                if let Some(code) = self.twins(table, round, seed, r) {
                    return Some(code);
                }
            }
        }
        None
    }

    /// Variant `r` once, with model seed `seed`, unless it has failed before.
    fn rust_side(
        &mut self,
        table: &mut Table,
        round: usize,
        seed: u64,
        r: usize,
    ) -> Option<ExitCode> {
        let b = &self.built[r];
        let unit = b.declared.workload.unit;
        let split = &self.data.splits[split_index(b.declared.workload.split)];
        let column = &mut table.rust[r];
        if column.side.failure.is_none() {
            let result = if b.env.is_empty() {
                measure(b.backend.as_ref(), unit, split, self.args.epochs, seed)
            } else {
                match measure_alone(self.args, b, seed, self.args.epochs, self.limit) {
                    Err(AloneError::Interrupted) => return Some(stopped(self.out, "Ctrl-C")),
                    Err(AloneError::Failed(why)) => Err(anyhow::anyhow!(why)),
                    Ok((m, allocator)) => {
                        column.allocator = Some(allocator);
                        Ok(m)
                    }
                }
            };
            if interrupted() {
                return Some(stopped(self.out, "Ctrl-C"));
            }
            match result {
                Ok(m) => {
                    self.progress(round, seed, b.label, &m);
                    column.side.runs.push(m);
                }
                Err(e) => {
                    self.say(&format!("{}: {e:#}", b.label));
                    column.side.failure = Some(format!("{e:#}"));
                }
            }
        }
        None
    }

    /// The twins variant `r` is the first to use, once each with model seed `seed`, unless one
    /// has failed before or the interpreter cannot run.
    fn twins(&mut self, table: &mut Table, round: usize, seed: u64, r: usize) -> Option<ExitCode> {
        let (built, first_user) = (self.built, self.first_user);
        let b = &built[r];
        let unit = b.declared.workload.unit;
        let dir = &self.data.dirs[split_index(b.declared.workload.split)];
        // Twins train as long as the variant they follow.
        let epochs = Some(run_length(b.backend.as_ref(), unit, self.args.epochs));
        for t in (0..table.twins.len()).filter(|&t| first_user[t] == r) {
            let column = &mut table.twins[t];
            if !self.python_ok || column.side.failure.is_some() {
                continue;
            }
            let ran = twin::run(
                self.python,
                &self.root,
                &column.twin,
                dir,
                seed,
                epochs,
                self.limit,
            );
            match ran {
                Ok((m, about)) => {
                    self.progress(round, seed, &column.twin.label, &m);
                    column.side.runs.push(m);
                    column.about = Some(about);
                }
                Err(TwinError::NoPython(msg)) => {
                    self.say(&msg);
                    self.python_ok = false;
                    for c in &mut table.twins {
                        c.side.failure = Some(msg.clone());
                    }
                }
                Err(TwinError::Failed(msg)) => {
                    self.say(&msg);
                    table.twins[t].side.failure = Some(msg);
                }
                Err(TwinError::Interrupted(why)) => return Some(stopped(self.out, &why)),
            }
            if interrupted() {
                return Some(stopped(self.out, "Ctrl-C"));
            }
        }
        None
    }

    /// Says `msg` unless it was said before.
    fn say(&mut self, msg: &str) {
        if !self.said.iter().any(|s| s == msg) {
            eprintln!("{msg}");
            self.said.push(msg.to_string());
        }
    }

    /// One line of progress: what ran in round `round`, and its figure.
    fn progress(&self, round: usize, seed: u64, label: &str, m: &Measured) {
        eprintln!(
            "round {}/{}, seed {seed}: {label} {:.3} s, test {:.2}%",
            round + 1,
            self.args.rounds,
            m.seconds,
            100.0 * m.test_accuracy
        );
    }
}

/// The position of `w` in [`WorkSplit::ALL`], the order of a run's splits.
fn split_index(w: WorkSplit) -> usize {
    WorkSplit::ALL.iter().position(|&s| s == w).unwrap_or(0)
}

/// The data line of the table's notes: where the data came from, and each work split some
/// variant of `built` uses, with its sizes and its users.
fn describe_splits(seed: u64, origin: &str, built: &[Built], splits: &[Split]) -> String {
    let mut about_splits = format!("Data: {origin}.");
    for (w, split) in WorkSplit::ALL.iter().zip(splits) {
        let users: Vec<&str> = built
            .iter()
            .filter(|b| b.declared.workload.split == *w)
            .map(|b| b.label)
            .collect();
        if !users.is_empty() {
            about_splits.push_str(&format!(
                " {} (seed {seed}): {} train / {} test images, for {}.",
                upper_first(w.describe()),
                split.train.len(),
                split.test.len(),
                users.join(", ")
            ));
        }
    }
    about_splits
}

/// Prints the markdown table, and returns it with its JSON record, both naming the command,
/// versions and `stamp` that produced them.
fn print_table(
    args: &BenchArgs,
    stamp: &Stamp,
    table: &Table,
    about_splits: &str,
    left_out: &[String],
) -> Result<(String, String)> {
    let Stamp {
        machine,
        build,
        commit,
        date,
    } = stamp;
    let rounds = args.rounds;
    let command = provenance::command_line();
    let versions = provenance::versions_line();
    let headline = format!(
        "`{command}`: {rounds} alternated rounds, model seeds {} to {}. Machine: {machine}; \
         build: {build}; versions: {versions}; commit {commit}; {date}.",
        args.seed,
        args.seed + rounds as u64 - 1
    );
    let markdown = table.markdown(&headline, about_splits, left_out);
    println!("{markdown}");
    let (rows, twins) = table.json_rows();
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
        "left_out": left_out,
        "rows": rows,
        "twins": twins,
    });
    Ok((markdown, serde_json::to_string_pretty(&record)?))
}

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
