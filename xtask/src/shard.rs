//! `compare --shard K/N` and `--plan`: the plan of a comparison (what makes two parts shards of
//! the same one) and which of its runs a shard makes; the part a shard writes is `part.rs`'s.
//!
//! The runs are dealt to the shards backend by backend, seed by seed, in turn (the first run to
//! shard 1, the next to shard 2, ...), so each shard gets a share of every backend's runs when
//! there are at least as many seeds as shards; which runs a shard makes depends on the command
//! alone, never on the machine.

use std::fmt;
use std::str::FromStr;

use anyhow::{Result, bail};
use serde::{Deserialize, Serialize};

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

/// The shard (1 to `n`) of the run of the `backend`th backend with the `seed`th seed, in a plan
/// of `seeds` seeds: runs are dealt backend by backend, seed by seed, in turn.
pub fn shard_of(backend: usize, seed: usize, seeds: usize, n: usize) -> usize {
    (backend * seeds + seed) % n.max(1) + 1
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
    /// The data's four files, each `name sha256` of its decoded bytes (empty until read).
    pub data: Vec<String>,
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

    /// The shard, among `n`, of the run of `backend` with `seed` (by who it is, not where it
    /// stands in a list).
    pub fn shard_of_run(&self, backend: &str, seed: u64, n: usize) -> usize {
        let b = self.backends.iter().position(|x| x.name == backend);
        let s = self.seeds.iter().position(|&x| x == seed);
        shard_of(b.unwrap_or(0), s.unwrap_or(0), self.seeds.len(), n)
    }

    /// The indices, in `runs`, of `shard`'s runs.
    pub fn shard_runs_of(&self, runs: &[(&str, u64)], shard: Shard) -> Vec<usize> {
        (0..runs.len())
            .filter(|&i| self.shard_of_run(runs[i].0, runs[i].1, shard.n) == shard.k)
            .collect()
    }

    /// The plan indices of `shard`'s runs.
    pub fn shard_runs(&self, shard: Shard) -> Vec<usize> {
        self.shard_runs_of(&self.runs(), shard)
    }

    /// `None` if `other` is the same plan; otherwise the first field where it differs, as
    /// `field: A in one, B in the other` (an element of a list named by its `name`).
    pub fn difference(&self, other: &Self) -> Option<String> {
        if self == other {
            return None;
        }
        let values = serde_json::to_value(self)
            .ok()
            .zip(serde_json::to_value(other).ok());
        Some(
            values
                .and_then(|(a, b)| first_difference("", &a, &b))
                .unwrap_or_else(|| "their plans differ".to_string()),
        )
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
        data: Vec::new(),
        git_commit: git_commit.to_string(),
        features: crate::provenance::features()
            .iter()
            .map(|f| f.to_string())
            .collect(),
    }
}

/// The indices in `runs` (compare's plan: backend, seed) of the runs `args` asks for: a
/// shard's (which needs `--out`), or all.
pub fn selected(
    args: &crate::compare::CompareArgs,
    key: &PlanKey,
    runs: &[(&str, u64)],
) -> Result<Vec<usize>> {
    match args.shard {
        Some(_) if args.out.is_none() && !args.plan => bail!(
            "--shard writes a part of the comparison, not a report: name its folder with --out \
             (e.g. --out parts/1), then give the parts to `cargo xtask merge`"
        ),
        Some(shard) if shard.n > runs.len() => bail!(
            "--shard {shard}: {} shards for {} runs would leave some with none; use at most \
             --shard K/{}",
            shard.n,
            runs.len(),
            runs.len()
        ),
        Some(shard) => Ok(key.shard_runs_of(runs, shard)),
        None => Ok((0..runs.len()).collect()),
    }
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
                let k = shard_of(i % backends, i / backends, seeds, n);
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
        let shard_one: Vec<usize> = (0..9)
            .filter(|&i| shard_of(i % 3, i / 3, 3, 3) == 1)
            .collect();
        assert_eq!(shard_one, [0, 1, 2]);
    }
}
