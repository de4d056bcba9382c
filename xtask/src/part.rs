//! The part a shard writes and `merge` reads: `part.json` (the shard, the plan it belongs to,
//! the command that runs the whole plan, its run records, the models it could not save, its
//! provenance, and its machine and start, which tell merge whether shards shared a machine) and
//! `probabilities.safetensors` (the class probabilities the report's pictures need). Everything
//! read is checked against the plan before a report is made of it.

use std::path::Path;

use anyhow::{Context, Result, bail};
use bench_core::RunRecord;
use serde::{Deserialize, Serialize};

use crate::shard::{PlanKey, Shard};

/// `part.json`'s format; a part of another format is refused.
pub const PART_FORMAT: u32 = 2;
/// The file that makes a folder a part.
pub const PART_FILE: &str = "part.json";
/// The class probabilities of each successful run, one tensor per run.
pub const PROBABILITIES_FILE: &str = "probabilities.safetensors";

/// Writes `part` into the claimed `output` (at `out`), says so, and returns compare's exit code.
pub fn write_part(
    output: &safe_write::Output,
    out: &Path,
    part: &Part,
) -> Result<std::process::ExitCode> {
    let files =
        crate::output::replace(output, |dir| write(dir, part)).context("writing the part")?;
    println!(
        "shard {} written to {}: {}",
        part.shard,
        out.display(),
        files.join(", ")
    );
    let records: Vec<RunRecord> = part.runs.iter().map(|r| r.record.clone()).collect();
    Ok(crate::compare::exit_code(&records, &part.not_saved))
}

/// One run of a part: its place in the plan and its record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct PartRun {
    /// Index in the whole plan.
    pub index: usize,
    /// The run's record (class probabilities in [`PROBABILITIES_FILE`]).
    pub record: RunRecord,
}

/// `part.json`: one shard's output.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Part {
    /// [`PART_FORMAT`].
    pub format: u32,
    /// Which shard.
    pub shard: Shard,
    /// The plan it is a shard of.
    pub plan: PlanKey,
    /// The command that runs the whole plan in one process.
    pub whole_command: String,
    /// Its runs, in plan order.
    pub runs: Vec<PartRun>,
    /// Models it was asked to save and could not.
    pub not_saved: Vec<String>,
    /// How it ran: its command, machine, build and times.
    pub provenance: report::Provenance,
    /// The machine's host name, as the report shows it.
    pub host: String,
    /// The running kernel's boot id, the same in every container on one machine: what tells
    /// `merge` that shards shared a machine.
    pub boot_id: String,
    /// When it started, in seconds since the Unix epoch.
    pub started_unix: f64,
}

impl Part {
    /// Shard `shard` of `plan`: the runs at plan indices `selected` and their `records`, in
    /// that order.
    pub fn new(
        shard: Shard,
        plan: PlanKey,
        selected: &[usize],
        records: Vec<RunRecord>,
        not_saved: Vec<String>,
        provenance: report::Provenance,
        started_unix: f64,
    ) -> Self {
        Self {
            format: PART_FORMAT,
            shard,
            plan,
            whole_command: crate::provenance::command_line_without(&["--shard", "--out"]),
            runs: selected
                .iter()
                .zip(records)
                .map(|(&index, record)| PartRun { index, record })
                .collect(),
            not_saved,
            provenance,
            host: crate::provenance::host(),
            boot_id: crate::provenance::boot_id(),
            started_unix,
        }
    }
}

/// The data's four files as the plan records them: `name sha256` of each decoded file.
pub fn fingerprint(mnist: &mnist_data::Mnist) -> Vec<String> {
    mnist
        .files
        .iter()
        .map(|f| format!("{} {}", f.part.canonical_name(), f.sha256))
        .collect()
}

fn tensor_name(index: usize) -> String {
    format!("run-{index}")
}

/// Writes `part` into `dir` (the staging folder of the part's output): the probabilities first,
/// `part.json` last.
pub fn write(dir: &Path, part: &Part) -> Result<Vec<String>> {
    use bench_core::weights::{self, Values};
    let names: Vec<String> = part.runs.iter().map(|r| tensor_name(r.index)).collect();
    let tensors: Vec<(&str, Vec<usize>, Values<'_>)> = part
        .runs
        .iter()
        .zip(&names)
        .filter_map(|(r, name)| {
            let m = r.record.metrics.as_ref()?;
            let shape = vec![m.test_predictions.len(), mnist_data::N_CLASSES];
            Some((name.as_str(), shape, Values::F32(&m.test_probabilities)))
        })
        .collect();
    weights::write(&dir.join(PROBABILITIES_FILE), &tensors)?;
    let json = serde_json::to_vec_pretty(part).context("part.json")?;
    safe_write::write_file(&dir.join(PART_FILE), &json)?;
    Ok(vec![PROBABILITIES_FILE.to_string(), PART_FILE.to_string()])
}

/// Reads the part in `dir` with every run's class probabilities, each error naming the file and
/// what to do.
pub fn read(dir: &Path) -> Result<Part> {
    let file = dir.join(PART_FILE);
    if !dir.is_dir() {
        bail!("{}: no such folder", dir.display());
    }
    let bytes = match std::fs::read(&file) {
        Ok(bytes) => bytes,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => bail!(
            "{} holds no {PART_FILE}: not a part written by `compare --shard`, or a shard that \
             did not finish (it crashed or was interrupted); run that shard again",
            dir.display()
        ),
        Err(e) => return Err(e).with_context(|| file.display().to_string()),
    };
    let mut part: Part = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "{}: not a part this version of the tool can read ({e}); run that shard again",
            file.display()
        )
    })?;
    if part.format != PART_FORMAT {
        bail!(
            "{}: a part of format {}, this tool reads format {PART_FORMAT}; run that shard again \
             with this version",
            file.display(),
            part.format
        );
    }
    check(&part).map_err(|e| {
        anyhow::anyhow!(
            "{}: {e}; not a part as `compare --shard` writes it: run that shard again",
            file.display()
        )
    })?;
    let probabilities = dir.join(PROBABILITIES_FILE);
    let weights = bench_core::weights::Weights::read(&probabilities)
        .map_err(|e| anyhow::anyhow!("{e}; run that shard again"))?;
    for run in &mut part.runs {
        if let Some(m) = run.record.metrics.as_mut() {
            let shape = [m.test_predictions.len(), mnist_data::N_CLASSES];
            m.test_probabilities = weights
                .f32(&tensor_name(run.index), &shape)
                .map_err(|e| anyhow::anyhow!("{e}; run that shard again"))?;
        }
    }
    Ok(part)
}

/// What the report needs to hold of a part: a shard among `n`, runs of its plan in order, each
/// the run of that place in the plan, with one prediction of a class per test image.
fn check(part: &Part) -> std::result::Result<(), String> {
    let Shard { k, n } = part.shard;
    let runs = part.plan.runs();
    if !(1..=n).contains(&k) || n > runs.len() {
        return Err(format!(
            "shard {k}/{n} is not a shard of {} runs (1 <= K <= N <= runs)",
            runs.len()
        ));
    }
    let test_size = part.provenance.split_sizes[2];
    let mut last = None;
    for run in &part.runs {
        let r = &run.record;
        let Some(&(backend, seed)) = runs.get(run.index) else {
            return Err(format!(
                "run {} is outside its plan's {} runs",
                run.index,
                runs.len()
            ));
        };
        if (r.backend.as_str(), r.hyperparams.seed) != (backend, seed) || last >= Some(run.index) {
            return Err(format!(
                "run {} is {} seed {}, its plan's is {backend} seed {seed}, or out of order",
                run.index, r.backend, r.hyperparams.seed
            ));
        }
        last = Some(run.index);
        let planned = part.plan.backends.iter().find(|b| b.name == backend);
        let hp = &r.hyperparams;
        if planned.is_some_and(|b| {
            (b.epochs, b.batch_size, b.learning_rate)
                != (hp.epochs, hp.batch_size, hp.learning_rate)
        }) {
            return Err(format!(
                "{backend} seed {seed} trained with other hyperparameters than its plan's"
            ));
        }
        if let Some(m) = &r.metrics
            && (m.test_predictions.len() != test_size
                || m.test_predictions
                    .iter()
                    .any(|&p| usize::from(p) >= mnist_data::N_CLASSES))
        {
            return Err(format!(
                "{backend} seed {seed}: predictions for {} images, of classes up to {}; the \
                 test set has {test_size} images of {} classes",
                m.test_predictions.len(),
                m.test_predictions.iter().max().copied().unwrap_or(0),
                mnist_data::N_CLASSES
            ));
        }
    }
    Ok(())
}
