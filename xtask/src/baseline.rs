//! `--baseline DIR` of `compare` and `merge`: the earlier report read and checked to be of the
//! same dataset and split before anything trains or is written; the comparison itself is the
//! report crate's (`report::baseline`).

use std::path::Path;

use anyhow::{Result, bail};

/// An earlier report's `results.json`, with the folder it came from.
pub struct Baseline {
    /// The folder, as given.
    pub label: String,
    /// Its run records and provenance.
    pub results: report::Results,
}

impl Baseline {
    /// The report crate's view of it.
    pub fn view(&self) -> report::baseline::Baseline<'_> {
        report::baseline::Baseline {
            label: &self.label,
            results: &self.results,
        }
    }
}

/// Reads `dir/results.json`; an error naming the folder unless it is a report this tool wrote.
pub fn read(dir: &Path) -> Result<Baseline> {
    let file = dir.join("results.json");
    let bytes = std::fs::read(&file).map_err(|e| {
        anyhow::anyhow!(
            "--baseline {}: cannot read results.json ({e}); name a folder written by `compare` or \
             `merge` (e.g. --baseline reports)",
            dir.display()
        )
    })?;
    let results: report::Results = serde_json::from_slice(&bytes).map_err(|e| {
        anyhow::anyhow!(
            "--baseline {}: not a report this version of the tool can read ({e}); name a folder \
             written by `compare` or `merge`",
            file.display()
        )
    })?;
    Ok(Baseline {
        label: dir.display().to_string(),
        results,
    })
}

/// What a report must share with the baseline for their test accuracies to be compared.
pub struct Checked<'a> {
    /// The dataset's title (`MNIST`, `Fashion-MNIST`, or unverified data), once it is known:
    /// with `--skip-checksum` only the files read tell.
    pub title: Option<&'a str>,
    /// The split protocol.
    pub split: String,
    /// Its validation fraction.
    pub validation_fraction: f64,
    /// The split's seed (the first model seed).
    pub split_seed: Option<u64>,
    /// Train, validation and test sizes, once the data is read.
    pub split_sizes: Option<[usize; 3]>,
}

/// An error naming the first difference between `now` and the baseline, and what to do.
pub fn check(b: &Baseline, now: &Checked<'_>) -> Result<()> {
    let p = &b.results.provenance;
    let fail = |what: String| -> Result<()> {
        bail!(
            "--baseline {}: {what}; compare with a report of the same dataset and split (nothing \
             was written)",
            b.label
        )
    };
    if let Some(title) = now.title
        && p.dataset.title != title
    {
        return fail(format!(
            "a report on {}, this run is on {title}",
            p.dataset.title
        ));
    }
    if p.split != now.split || p.validation_fraction != now.validation_fraction {
        return fail(format!(
            "split {} with validation fraction {}, this run's is {} with {}",
            p.split, p.validation_fraction, now.split, now.validation_fraction
        ));
    }
    if let (Some(seed), Some(&first)) = (now.split_seed, p.seeds.first())
        && seed != first
    {
        return fail(format!(
            "its split was drawn with seed {first}, this run's with {seed} (--seed)"
        ));
    }
    if let Some(sizes) = now.split_sizes
        && sizes != p.split_sizes
    {
        return fail(format!(
            "train/validation/test sizes {:?}, this run's are {sizes:?}",
            p.split_sizes
        ));
    }
    Ok(())
}

/// `--baseline`, read and checked against what is known before the data is read; refused with
/// `--shard` (a part is not a report: give the baseline to `merge`).
pub fn for_compare(
    args: &crate::compare::CompareArgs,
    dataset: &mnist_data::DatasetSpec,
) -> Result<Option<Baseline>> {
    let Some(dir) = &args.baseline else {
        return Ok(None);
    };
    if args.shard.is_some() {
        anyhow::bail!(
            "--baseline with --shard: a shard writes a part, not a report; give --baseline to \
             `cargo xtask merge` with the parts"
        );
    }
    let b = read(dir)?;
    let title = (!args.data.skip_checksum).then_some(dataset.title);
    check(&b, &checked(args, title, None))?;
    Ok(Some(b))
}

pub fn checked<'a>(
    args: &'a crate::compare::CompareArgs,
    title: Option<&'a str>,
    split_sizes: Option<[usize; 3]>,
) -> Checked<'a> {
    let spec = args.split.spec(args.seed);
    Checked {
        title,
        split: spec.kind.to_string(),
        validation_fraction: spec.validation_fraction,
        split_seed: Some(args.seed),
        split_sizes,
    }
}
