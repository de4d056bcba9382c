//! `cargo xtask split`: writes the exact split a comparison uses as raw IDX files, so that other
//! tools (e.g. `tools/sklearn_reference.py`) can train on the same images and be compared on the
//! same test set.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Args;
use mnist_data::Split;
use mnist_data::idx::{encode_images, encode_labels};

use crate::{DataArgs, SplitArgs};

/// Names of the validation part's files, beside the canonical training and test names.
pub const VALIDATION_FILES: [&str; 2] = [
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
/// `t10k-*` (so the folder is itself a valid `--data-dir`), and the validation part, when there is
/// one, under `validation-*`. The files go to a staging folder renamed into place at the end.
pub fn run(args: &ExportArgs) -> Result<()> {
    if args.out.exists() {
        bail!(
            "--out {}: already exists; name a new folder (nothing was written)",
            args.out.display()
        );
    }
    let mnist = args.data.load()?;
    let split = Split::new(&mnist.train, &mnist.test, args.split.spec(args.seed))?;
    let staging = staging_dir(&args.out)?;
    let written = write_split(&staging, &split).and_then(|()| {
        std::fs::rename(&staging, &args.out).with_context(|| {
            format!(
                "--out {}: cannot move the files into place",
                args.out.display()
            )
        })
    });
    if written.is_err() {
        // Best effort: the staging folder holds nothing the user asked to keep.
        let _ = std::fs::remove_dir_all(&staging);
    }
    written?;
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

fn staging_dir(out: &Path) -> Result<PathBuf> {
    let parent = match out.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let name = out
        .file_name()
        .with_context(|| format!("--out {}: not a folder name", out.display()))?;
    let staging = parent.join(format!(".{}.partial", name.to_string_lossy()));
    if staging.exists() {
        std::fs::remove_dir_all(&staging)
            .with_context(|| format!("cannot clear the stale {}", staging.display()))?;
    }
    Ok(staging)
}

fn write_split(dir: &Path, split: &Split) -> Result<()> {
    mnist_data::synth::write_dir(dir, &split.train, &split.test, false)
        .with_context(|| format!("cannot write the split into {}", dir.display()))?;
    if !split.validation.is_empty() {
        let [images, labels] = VALIDATION_FILES;
        std::fs::write(dir.join(images), encode_images(split.validation.pixels()))
            .and_then(|()| {
                std::fs::write(dir.join(labels), encode_labels(split.validation.labels()))
            })
            .with_context(|| format!("cannot write the split into {}", dir.display()))?;
    }
    Ok(())
}
