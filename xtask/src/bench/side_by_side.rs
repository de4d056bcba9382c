//! `cargo xtask bench --reference PYTHON`: each declared variant side by side with its Python
//! twins, alternated round by round so that machine load hits both alike, on the same exported
//! split.
//!
//! A round runs every selected variant once, each followed by the twins it is the first to use
//! (a twin shared by two variants runs once a round); round `r` uses model seed `--seed + r` on
//! both sides (the split stays that of `--seed`). Both sides train on the training part alone,
//! with no validation pass, and score the test part once. A run's figure is the median of its
//! epochs (the fit time for a fit); the table gives the median over rounds of each side, the
//! ratio, and the test accuracy of each, mean ± std over rounds.

use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use bench_core::WorkSplit;
use mnist_data::Split;
use serde_json::json;

use super::args::BenchArgs;
use super::destination::{self, default_out, guard_committed_table, stopped};
use super::measure::{measure, run_length, without_validation};
use super::table::{Row, RustColumn, Side, Table, TwinColumn};
use super::twin::{self, TwinError};
use super::workloads::{self, Declared};
use crate::progress::interrupted;
use crate::provenance;

/// Runs the side-by-side benchmark of the workloads `declared` (every one when `None`),
/// alternated in one run; prints the table
/// and writes it into `--out`. Exits 2 when a side could not run (the table says which and why).
pub fn run(args: &BenchArgs, python: &Path, declared: Option<Vec<Declared>>) -> Result<ExitCode> {
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
    // What produced the table, read once as the run starts (the tree may change while it runs).
    let (machine, build) = (provenance::cpu(), provenance::build());
    let (commit, date) = (provenance::git_commit(), provenance::now_utc());
    let selected = declared.clone().unwrap_or_else(workloads::declared);
    let (built, mut left_out) =
        workloads::build_selected(&selected, &args.settings.assignments()?)?;
    if declared.is_none() {
        // Every workload: those of a backend this build lacks are missing too.
        left_out.extend(crate::registry::left_out());
    }
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
    for why in &left_out {
        eprintln!("note: {why}");
    }
    if replaces_committed {
        guard_committed_table(args, python)?;
    }
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
    let splits: Vec<Split> = WorkSplit::ALL
        .iter()
        .map(|c| Split::new(&mnist.train, &mnist.test, c.spec(args.seed)).map(without_validation))
        .collect::<Result<_, _>>()?;
    drop(mnist);
    let split_of = |w: WorkSplit| WorkSplit::ALL.iter().position(|&s| s == w).unwrap_or(0);
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

    let root = provenance::workspace_root();
    let limit = Duration::from_secs(args.twin_timeout);
    let mut python_ok = true;
    // Each failure is said once, however many rows and rounds it touches.
    let mut said: Vec<String> = Vec::new();
    let mut say = |msg: &str| {
        if !said.iter().any(|s| s == msg) {
            eprintln!("{msg}");
            said.push(msg.to_string());
        }
    };
    for round in 0..rounds {
        let seed = args.seed + round as u64;
        let progress = |label: &str, m: &super::measure::Measured| {
            eprintln!(
                "round {}/{rounds}, seed {seed}: {label} {:.3} s, test {:.2}%",
                round + 1,
                m.seconds,
                100.0 * m.test_accuracy
            );
        };
        for (r, b) in built.iter().enumerate() {
            let unit = b.declared.workload.unit;
            let split = split_of(b.declared.workload.split);
            let column = &mut table.rust[r];
            if column.side.failure.is_none() {
                let result = measure(b.backend.as_ref(), unit, &splits[split], args.epochs, seed);
                if interrupted() {
                    return Ok(stopped(&out, "Ctrl-C"));
                }
                match result {
                    Ok(m) => {
                        progress(b.label, &m);
                        column.side.runs.push(m);
                    }
                    Err(e) => {
                        say(&format!("{}: {e:#}", b.label));
                        column.side.failure = Some(format!("{e:#}"));
                    }
                }
            }
            // Twins train as long as the variant they follow.
            let epochs = Some(run_length(b.backend.as_ref(), unit, args.epochs));
            for t in (0..table.twins.len()).filter(|&t| first_user[t] == r) {
                let column = &mut table.twins[t];
                if !python_ok || column.side.failure.is_some() {
                    continue;
                }
                let dir = &split_dirs[split];
                match twin::run(python, &root, &column.twin, dir, seed, epochs, limit) {
                    Ok((m, about)) => {
                        progress(&column.twin.label, &m);
                        column.side.runs.push(m);
                        column.about = Some(about);
                    }
                    Err(TwinError::NoPython(msg)) => {
                        say(&msg);
                        python_ok = false;
                        for c in &mut table.twins {
                            c.side.failure = Some(msg.clone());
                        }
                    }
                    Err(TwinError::Failed(msg)) => {
                        say(&msg);
                        table.twins[t].side.failure = Some(msg);
                    }
                    Err(TwinError::Interrupted(why)) => return Ok(stopped(&out, &why)),
                }
                if interrupted() {
                    return Ok(stopped(&out, "Ctrl-C"));
                }
            }
        }
    }

    let command = provenance::command_line();
    let versions = provenance::versions_line();
    let mut about_splits = format!("Data: {data_origin}.");
    for (w, split) in WorkSplit::ALL.iter().zip(&splits) {
        let users: Vec<&str> = built
            .iter()
            .filter(|b| b.declared.workload.split == *w)
            .map(|b| b.label)
            .collect();
        if !users.is_empty() {
            about_splits.push_str(&format!(
                " {} (seed {}): {} train / {} test images, for {}.",
                upper_first(w.describe()),
                args.seed,
                split.train.len(),
                split.test.len(),
                users.join(", ")
            ));
        }
    }
    let headline = format!(
        "`{command}`: {rounds} alternated rounds, model seeds {} to {}. Machine: {machine}; \
         build: {build}; versions: {versions}; commit {commit}; {date}.",
        args.seed,
        args.seed + rounds as u64 - 1
    );
    let markdown = table.markdown(&headline, &about_splits, &left_out);
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
    let json_text = serde_json::to_string_pretty(&record)?;
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

fn upper_first(s: &str) -> String {
    let mut chars = s.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}
