//! `cargo xtask split`: writes the exact split a comparison uses as raw IDX files, so that other
//! tools (e.g. `xtask/reference/sklearn_logistic.py`) can train on the same images and be compared on the
//! same test set.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use mnist_data::Split;

use crate::{DataArgs, SplitArgs};

/// Names of the validation part's files, beside the canonical training and test names.
const VALIDATION_FILES: [&str; 2] = [
    "validation-images-idx3-ubyte",
    "validation-labels-idx1-ubyte",
];

/// Flags of `split`.
#[derive(Debug, Args)]
pub struct ExportArgs {
    /// New folder to write the split into (must not exist yet).
    #[arg(long, value_name = "DIR")]
    pub out: PathBuf,
    #[command(flatten)]
    pub data: DataArgs,
    #[command(flatten)]
    pub split: SplitArgs,
    /// Seed of the split, as given to `compare`.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
}

/// Writes the split: the training part under the canonical `train-*` names, the test part under
/// `t10k-*` (so the folder is itself a `--data-dir`, with `--skip-checksum`), and the validation part, when there is
/// one, under `validation-*`. The folder appears complete or not at all.
pub fn run(args: &ExportArgs) -> Result<()> {
    args.data.check()?;
    // Claimed first (which may put back a split a crashed run left beside it), then new.
    let output = crate::output::claim(&args.out, true)?;
    if args.out.exists() {
        bail!(
            "--out {}: already exists; name a new folder (nothing was written)",
            args.out.display()
        );
    }
    let mnist = args.data.load()?.mnist;
    let split = Split::new(&mnist.train, &mnist.test, args.split.spec(args.seed))?;
    crate::output::replace(&output, |dir| write_split(dir, &split))
        .with_context(|| format!("--out {}: the split was not written", args.out.display()))?;
    println!(
        "split {} (seed {}): {} train, {} validation, {} test images written to {}",
        split.spec.kind.name(),
        split.spec.seed,
        split.train.len(),
        split.validation.len(),
        split.test.len(),
        args.out.display()
    );
    Ok(())
}

/// Writes `split` into the existing folder `dir` under the names described at [`run`].
pub fn write_split(dir: &Path, split: &Split) -> Result<()> {
    let cannot = || format!("cannot write the split into {}", dir.display());
    mnist_data::write::write_dir(dir, &split.train, &split.test, false).with_context(cannot)?;
    if !split.validation.is_empty() {
        let [images, labels] = VALIDATION_FILES;
        mnist_data::write::write_pair(dir, images, labels, &split.validation)
            .with_context(cannot)?;
    }
    Ok(())
}
