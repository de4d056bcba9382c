//! `compare --shard K/N` and `--plan`: which runs of a comparison a shard makes, and the part
//! it writes (`part.json`, with its run records, the plan it belongs to and its provenance, and
//! `probabilities.safetensors`, the class probabilities the report's pictures need), which
//! `merge` reads back.
//!
//! The runs are dealt to the shards backend by backend, seed by seed, in turn (the first run to
//! shard 1, the next to shard 2, ...), so each shard gets a share of every backend's runs; a
//! shard of a plan is the same runs whichever machine runs it.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use anyhow::{Context, Result, bail};
use bench_core::RunRecord;
use serde::{Deserialize, Serialize};

/// `part.json`'s format; a part of another format is refused.
pub const PART_FORMAT: u32 = 1;
/// The file that makes a folder a part.
pub const PART_FILE: &str = "part.json";
/// The class probabilities of each successful run, one tensor per run.
pub const PROBABILITIES_FILE: &str = "probabilities.safetensors";

/// Shard `k` of `n` (1-based).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Shard {
    /// Which shard, 1 to `n`.
    pub k: usize,
    /// How many shards.
    pub n: usize,
}

impl FromStr for Shard {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let parsed = s
            .split_once('/')
            .and_then(|(k, n)| Some((k.trim().parse().ok()?, n.trim().parse().ok()?)));
        match parsed {
            Some((k, n)) if (1..=n).contains(&k) => Ok(Self { k, n }),
            _ => Err(format!(
                "expected K/N with 1 <= K <= N, e.g. 1/3 for the first of three shards; got {s:?}"
            )),
        }
    }
}

impl fmt::Display for Shard {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}/{}", self.k, self.n)
    }
}

/// The shard (1 to `n`) of the run at `index` of a plan of `seeds` x `backends` runs in
/// compare's order (seed by seed, each seed every backend).
pub fn shard_of(index: usize, backends: usize, seeds: usize, n: usize) -> usize {
    let (seed, backend) = (index / backends, index % backends);
    (backend * seeds + seed) % n + 1
}

/// What makes two parts shards of one comparison: every choice of the command that changes a
/// run's result, the code and the build.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct PlanKey {
    /// The dataset's name (`--dataset`).
    pub dataset: String,
    /// Its title and class names, as the report shows them.
    pub labels: report::DatasetLabels,
    /// The split protocol, its validation fraction and its seed (`--seed`).
    pub split: String,
    pub validation_fraction: f64,
    pub split_seed: u64,
    /// The model seeds.
    pub seeds: Vec<u64>,
    /// The backends in the order they run, each with its hyperparameters.
    pub backends: Vec<BackendPlan>,
    /// The `--set` assignments, as `backend.setting=value`.
    pub settings: Vec<String>,
    /// Git commit of the code.
    pub git_commit: String,
    /// Cargo features of the binary.
    pub features: Vec<String>,
}

/// One backend of a plan and its hyperparameters (the seed aside: that is the run's).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct BackendPlan {
    /// The backend's name.
    pub name: String,
    /// Epochs (for L-BFGS: the iteration budget).
    pub epochs: usize,
    /// Mini-batch size, if it has one.
    pub batch_size: Option<usize>,
    /// Learning rate, if it has one.
    pub learning_rate: Option<f64>,
}

impl PlanKey {
    /// The runs of the whole plan, in compare's order: (backend, seed).
    pub fn runs(&self) -> Vec<(&str, u64)> {
        self.seeds
            .iter()
            .flat_map(|&s| self.backends.iter().map(move |b| (b.name.as_str(), s)))
            .collect()
    }

    /// The plan indices of `shard`'s runs.
    pub fn shard_runs(&self, shard: Shard) -> Vec<usize> {
        let (b, s) = (self.backends.len(), self.seeds.len());
        (0..b * s)
            .filter(|&i| shard_of(i, b, s, shard.n) == shard.k)
            .collect()
    }

    /// The first field where `other` differs, as `field: A in one, B in the other` (an element
    /// of a list named by its `name`); `None` if equal.
    pub fn difference(&self, other: &Self) -> Option<String> {
        let (a, b) = (
            serde_json::to_value(self).ok()?,
            serde_json::to_value(other).ok()?,
        );
        first_difference("", &a, &b)
    }
}

fn first_difference(path: &str, a: &serde_json::Value, b: &serde_json::Value) -> Option<String> {
    use serde_json::Value;
    match (a, b) {
        (Value::Object(x), Value::Object(y)) => x.iter().find_map(|(key, va)| {
            let path = if path.is_empty() {
                key.clone()
            } else {
                format!("{path}.{key}")
            };
            match y.get(key) {
                Some(vb) => first_difference(&path, va, vb),
                None => Some(format!("{path}: {} in one, absent in the other", short(va))),
            }
        }),
        (Value::Array(x), Value::Array(y)) if x.len() == y.len() => {
            x.iter().zip(y).enumerate().find_map(|(i, (va, vb))| {
                let label = va
                    .get("name")
                    .and_then(Value::as_str)
                    .map_or_else(|| i.to_string(), str::to_string);
                first_difference(&format!("{path}.{label}"), va, vb)
            })
        }
        _ if a == b => None,
        _ => Some(format!(
            "{path}: {} in one, {} in the other",
            short(a),
            short(b)
        )),
    }
}

fn short(v: &serde_json::Value) -> String {
    let text = v.to_string();
    match text.char_indices().nth(80) {
        Some((cut, _)) => format!("{}…", &text[..cut]),
        None => text,
    }
}

/// What makes a part a shard of this command (the labels are filled in once the data is read).
pub fn plan_key(
    args: &crate::compare::CompareArgs,
    dataset: &mnist_data::DatasetSpec,
    backends: &[Box<dyn bench_core::Backend>],
    plan: &[(usize, u64, bench_core::ValidHyperparams)],
    assignments: &[bench_core::settings::Assignment],
    git_commit: &str,
) -> PlanKey {
    let spec = args.split.spec(args.seed);
    let mut settings: Vec<String> = assignments
        .iter()
        .map(|a| format!("{}.{}={}", a.backend, a.setting, a.value))
        .collect();
    settings.sort();
    PlanKey {
        dataset: dataset.name.to_string(),
        labels: report::DatasetLabels::default(),
        split: spec.kind.to_string(),
        validation_fraction: spec.validation_fraction,
        split_seed: args.seed,
        seeds: plan
            .iter()
            .map(|p| p.1)
            .collect::<std::collections::BTreeSet<_>>()
            .into_iter()
            .collect(),
        backends: backends
            .iter()
            .enumerate()
            .map(|(i, b)| {
                let hp = plan
                    .iter()
                    .find(|p| p.0 == i)
                    .map_or_else(|| b.defaults(), |p| *p.2.get());
                BackendPlan {
                    name: b.name().to_string(),
                    epochs: hp.epochs,
                    batch_size: hp.batch_size,
                    learning_rate: hp.learning_rate,
                }
            })
            .collect(),
        settings,
        git_commit: git_commit.to_string(),
        features: crate::provenance::features()
            .iter()
            .map(|f| f.to_string())
            .collect(),
    }
}

/// The plan indices of the runs `args` asks for: a shard's (which needs `--out`), or all.
pub fn selected(args: &crate::compare::CompareArgs, key: &PlanKey) -> Result<Vec<usize>> {
    match args.shard {
        Some(_) if args.out.is_none() => bail!(
            "--shard writes a part of the comparison, not a report: name its folder with --out \
             (e.g. --out parts/1), then give the parts to `cargo xtask merge`"
        ),
        Some(shard) => Ok(key.shard_runs(shard)),
        None => Ok((0..key.runs().len()).collect()),
    }
}

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
        }
    }
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

/// The runs a command would make, and how `shard`'s count splits them, for `--plan`.
pub fn describe(plan: &PlanKey, shard: Option<Shard>) -> String {
    let runs = plan.runs();
    let mut text = format!(
        "{} runs ({} backends x {} seeds) on {}, split {} (seed {}):\n",
        runs.len(),
        plan.backends.len(),
        plan.seeds.len(),
        plan.dataset,
        plan.split,
        plan.split_seed
    );
    let name = |i: usize| format!("{} seed {}", runs[i].0, runs[i].1);
    match shard {
        None => {
            for i in 0..runs.len() {
                text.push_str(&format!("  {:>3}  {}\n", i + 1, name(i)));
            }
        }
        Some(s) => {
            text.push_str(&format!("--shard K/{} splits them:\n", s.n));
            for k in 1..=s.n {
                let shard = Shard { k, n: s.n };
                let mine: Vec<String> = plan.shard_runs(shard).into_iter().map(name).collect();
                let this = if k == s.k { "  (this shard)" } else { "" };
                let list = if mine.is_empty() {
                    "no runs".to_string()
                } else {
                    mine.join(", ")
                };
                text.push_str(&format!("  {shard}: {list}{this}\n"));
            }
        }
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shards_are_parsed_one_based_and_bad_ones_refused() {
        assert_eq!("2/3".parse::<Shard>(), Ok(Shard { k: 2, n: 3 }));
        for bad in ["0/3", "4/3", "3", "a/b", "1/0", "/3", ""] {
            let e = bad.parse::<Shard>().unwrap_err();
            assert!(e.contains("1 <= K <= N"), "{bad}: {e}");
        }
    }

    #[test]
    fn every_run_goes_to_one_shard_and_each_shard_gets_every_backend() {
        for (backends, seeds, n) in [(3, 3, 3), (4, 5, 3), (2, 1, 4), (5, 5, 1)] {
            let mut count = vec![0; n];
            let mut kinds = vec![std::collections::BTreeSet::new(); n];
            for i in 0..backends * seeds {
                let k = shard_of(i, backends, seeds, n);
                assert!((1..=n).contains(&k));
                count[k - 1] += 1;
                kinds[k - 1].insert(i % backends);
            }
            let total = backends * seeds;
            assert!(
                count
                    .iter()
                    .all(|&c| c == total / n || c == total.div_ceil(n)),
                "{count:?}"
            );
            if seeds >= n {
                assert!(kinds.iter().all(|k| k.len() == backends), "{kinds:?}");
            }
        }
        // Three backends, three seeds, three shards: each shard one seed of every backend.
        let shard_one: Vec<usize> = (0..9).filter(|&i| shard_of(i, 3, 3, 3) == 1).collect();
        assert_eq!(shard_one, [0, 1, 2]);
    }
}
