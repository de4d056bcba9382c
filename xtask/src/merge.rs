//! `cargo xtask merge PART... --out DIR`: the parts written by `compare --shard K/N` checked to
//! be every shard of one plan, once each and whole, then written as the report the whole
//! command would have written (the test images read again, verified, for the pictures).

use std::path::{Path, PathBuf};
use std::process::ExitCode;

use anyhow::{Result, bail};
use clap::Args;
use mnist_data::{Split, SplitSpec};

use crate::DataArgs;
use crate::part::Part;
use crate::shard::Shard;

/// Flags of `merge`.
#[derive(Debug, Args)]
pub struct MergeArgs {
    /// The part folders written by `compare --shard K/N --out PART`, one per shard, in any order.
    #[arg(value_name = "PART", required = true)]
    pub parts: Vec<PathBuf>,
    /// Folder to write the report into, as compare's --out: a new or empty folder, or an earlier
    /// report, which is replaced atomically. A part, or a folder holding a part or the
    /// --baseline, is refused.
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    /// Where to read the test images from (the dataset of the parts), as compare's --data-dir.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Accept data files whose checksums do not match, as compare's --skip-checksum.
    #[arg(long)]
    pub skip_checksum: bool,
    /// An earlier report to compare the merged one with, as compare's --baseline.
    #[arg(long, value_name = "DIR")]
    pub baseline: Option<PathBuf>,
}

/// Merges the parts into one report; the exit code says whether every run succeeded.
pub fn run(args: &MergeArgs) -> Result<ExitCode> {
    let mut parts = args
        .parts
        .iter()
        .map(|dir| Ok((dir.clone(), crate::part::read(dir)?)))
        .collect::<Result<Vec<_>>>()?;
    check(&parts)?;
    parts.sort_by_key(|(_, p)| p.shard.k);
    let (_, first) = &parts[0];
    let plan = &first.plan;
    let baseline = match &args.baseline {
        Some(dir) => {
            let b = crate::baseline::read(dir)?;
            crate::baseline::check(&b, &checked(first))?;
            Some(b)
        }
        None => None,
    };
    let output = crate::output::claim(&args.out, true)?;
    let reads = parts.iter().map(|(dir, _)| ("a part", dir.as_path()));
    let reads = reads.chain(args.baseline.iter().map(|b| ("the baseline", b.as_path())));
    crate::output::refuse_replacing(&output, false, reads)?;
    let data = DataArgs {
        dataset: plan.dataset.clone(),
        data_dir: args.data_dir.clone(),
        skip_checksum: args.skip_checksum,
        class_names: None,
    };
    let loaded = data.load()?;
    if crate::part::fingerprint(&loaded.mnist) != plan.data {
        bail!(
            "the data read ({}) is not the data the shards read (their files' checksums differ): \
             give --data-dir the files the shards read (nothing was written)",
            loaded.describe()
        );
    }
    let spec = SplitSpec {
        kind: plan.split.parse().map_err(|e| anyhow::anyhow!("{e}"))?,
        seed: plan.split_seed,
        validation_fraction: plan.validation_fraction,
    };
    let split = Split::new(&loaded.mnist.train, &loaded.mnist.test, spec)?;
    if split.sizes() != first.provenance.split_sizes {
        bail!(
            "the data read splits into {:?} images, the shards' into {:?}: give --data-dir the \
             files the shards read (nothing was written)",
            split.sizes(),
            first.provenance.split_sizes
        );
    }
    let data_origin = loaded.describe();
    drop(loaded);

    let mut runs: Vec<(usize, bench_core::RunRecord)> = Vec::new();
    let mut not_saved = Vec::new();
    for (_, part) in &parts {
        runs.extend(part.runs.iter().map(|r| (r.index, r.record.clone())));
        not_saved.extend(part.not_saved.iter().cloned());
    }
    runs.sort_by_key(|r| r.0);
    let records: Vec<bench_core::RunRecord> = runs.into_iter().map(|r| r.1).collect();
    let provenance = merged_provenance(&parts, data_origin);
    let report = report::Report {
        runs: &records,
        test: &split.test,
        provenance: &provenance,
        not_saved: &not_saved,
        baseline: baseline.as_ref().map(crate::baseline::Baseline::view),
    };
    crate::compare::finish(&output, &args.out, &report, baseline.as_ref())
}

fn checked(part: &Part) -> crate::baseline::Checked<'_> {
    crate::baseline::Checked {
        title: Some(&part.plan.labels.title),
        split: part.plan.split.clone(),
        validation_fraction: part.plan.validation_fraction,
        split_seed: Some(part.plan.split_seed),
        split_sizes: Some(part.provenance.split_sizes),
    }
}

/// The parts are one plan's shards, each once and each whole: otherwise one error naming the
/// part and what to do.
fn check(parts: &[(PathBuf, Part)]) -> Result<()> {
    let (first_dir, first) = &parts[0];
    let n = first.shard.n;
    let show = |dir: &Path| dir.display().to_string();
    for (dir, part) in parts {
        if let Some(difference) = first.plan.difference(&part.plan) {
            bail!(
                "{} and {} are parts of different comparisons ({difference}); merge the parts of \
                 one command, run with the same code and features",
                show(first_dir),
                show(dir)
            );
        }
        if part.provenance.split_sizes != first.provenance.split_sizes {
            bail!(
                "{} and {} split the data into {:?} and {:?} images: merge the parts of one \
                 command on the same data",
                show(first_dir),
                show(dir),
                first.provenance.split_sizes,
                part.provenance.split_sizes
            );
        }
        if part.shard.n != n {
            bail!(
                "{} is shard {}, {} shard {}: merge the parts of one split into {n} shards",
                show(first_dir),
                first.shard,
                show(dir),
                part.shard
            );
        }
        let expected = part.plan.shard_runs(part.shard);
        let got: Vec<usize> = part.runs.iter().map(|r| r.index).collect();
        if got != expected {
            let runs = part.plan.runs();
            let missing: Vec<String> = expected
                .iter()
                .filter(|i| !got.contains(i))
                .map(|&i| format!("{} seed {}", runs[i].0, runs[i].1))
                .collect();
            bail!(
                "{} is incomplete: shard {} has {} runs, the part holds {} (missing: {}); run \
                 that shard again",
                show(dir),
                part.shard,
                expected.len(),
                got.len(),
                if missing.is_empty() {
                    "none, but others are there".to_string()
                } else {
                    missing.join(", ")
                }
            );
        }
    }
    for (i, (dir, part)) in parts.iter().enumerate() {
        if let Some((other, _)) = parts[..i].iter().find(|(_, p)| p.shard == part.shard) {
            bail!(
                "{} and {} are both shard {}: give each shard once",
                show(other),
                show(dir),
                part.shard
            );
        }
    }
    let missing: Vec<String> = (1..=n)
        .filter(|&k| !parts.iter().any(|(_, p)| p.shard.k == k))
        .map(|k| Shard { k, n }.to_string())
        .collect();
    if !missing.is_empty() {
        bail!(
            "shard {} of this comparison not given: run `{} --shard {} --out DIR` for it and \
             merge again",
            missing.join(", "),
            first.whole_command,
            missing[0]
        );
    }
    Ok(())
}

/// The provenance of the whole: the plan's, with the whole command, every part's machine and
/// time, and the parts' CPUs and builds (each named once).
fn merged_provenance(parts: &[(PathBuf, Part)], data: String) -> report::Provenance {
    let first = &parts[0].1;
    let distinct = |f: &dyn Fn(&Part) -> &str| {
        let mut all: Vec<&str> = Vec::new();
        for (_, p) in parts {
            if !all.contains(&f(p)) {
                all.push(f(p));
            }
        }
        all.join("; ")
    };
    report::Provenance {
        dataset: first.plan.labels.clone(),
        command: first.whole_command.clone(),
        data,
        cpu: distinct(&|p| &p.provenance.cpu),
        build: distinct(&|p| &p.provenance.build),
        started: parts
            .iter()
            .map(|(_, p)| p.provenance.started.as_str())
            .min()
            .unwrap_or_default()
            .to_string(),
        total_seconds: parts.iter().map(|(_, p)| p.provenance.total_seconds).sum(),
        parts: parts
            .iter()
            .map(|(dir, p)| report::PartProvenance {
                shard: p.shard.to_string(),
                folder: dir.display().to_string(),
                cpu: p.provenance.cpu.clone(),
                build: p.provenance.build.clone(),
                started: p.provenance.started.clone(),
                total_seconds: p.provenance.total_seconds,
                host: p.host.clone(),
                concurrent: concurrent(p, parts),
            })
            .collect(),
        ..first.provenance.clone()
    }
}

/// Whether `part` ran at the same time as another of `parts` on the same machine (the same
/// running kernel, containers included): their times, throughput and memory are those of runs
/// that shared it.
fn concurrent(part: &Part, parts: &[(PathBuf, Part)]) -> bool {
    let span = |p: &Part| (p.started_unix, p.started_unix + p.provenance.total_seconds);
    let (start, end) = span(part);
    parts.iter().any(|(_, other)| {
        let (s, e) = span(other);
        other.shard != part.shard && other.boot_id == part.boot_id && s < end && start < e
    })
}
