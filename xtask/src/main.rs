//! `cargo xtask`: the mnist-compare command line. It parses flags and wires the crates together;
//! the work lives in `mnist-data`, the backend crates, `bench-core` and `report`.

mod bench;
mod compare;
mod export;
mod progress;
mod provenance;
mod reference;
mod registry;

use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Args, Parser, Subcommand};
use mnist_data::{SplitKind, SplitSpec};

/// Exit status when a comparison ran but some runs failed.
pub const EXIT_RUNS_FAILED: u8 = 2;
/// Exit status after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

const AFTER_HELP: &str = "\
Exit status:
  0    everything ran and every run succeeded
  1    bad input (flags, data files, configuration): nothing was trained, no report written
  2    the comparison ran and the report was written, but some runs failed (see the status column)
  130  interrupted with Ctrl-C: the previous reports are left as they were";

/// Train MNIST classifiers through one interface and compare them honestly.
#[derive(Debug, Parser)]
#[command(name = "cargo xtask", version, after_help = AFTER_HELP)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Train every selected backend on the same split and seeds, and write reports/.
    Compare(compare::CompareArgs),
    /// Say where the MNIST files were found and show their verified checksums.
    Data(DataArgs),
    /// Measure training speed: median of repeated runs, with hardware and build recorded.
    Bench(bench::BenchArgs),
    /// Write the split a comparison uses (same --split, --val-fraction, --seed) as raw IDX files,
    /// for training other tools on the same images.
    Split(export::ExportArgs),
}

/// Where the data comes from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Folder holding the four MNIST IDX files (raw or .gz). Default: $MNIST_DIR, then the copy
    /// bundled with the project, then the user cache, then a download.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Accept IDX files whose SHA-256 differs from the published MNIST files (e.g. Fashion-MNIST).
    #[arg(long)]
    pub skip_checksum: bool,
}

/// How to split the data.
#[derive(Debug, Clone, Args)]
pub struct SplitArgs {
    /// Split protocol: `standard` (official 60k train / 10k test files) or `pooled-80-20` (the
    /// notebook's: all 70k pooled, 80% train / 20% test, shuffled as scikit-learn's
    /// `train_test_split` with `random_state` = the seed, which must be below 2^32).
    #[arg(long, default_value = "standard", value_name = "NAME")]
    pub split: SplitKind,
    /// Fraction of the training part held out for validation, in [0, 1). Default: 0.1 for
    /// `standard`; 0 for `pooled-80-20`, which trains on all 56k images as the notebook did.
    #[arg(long, value_name = "F")]
    pub val_fraction: Option<f64>,
}

impl SplitArgs {
    /// The split these flags describe, shuffled with `seed`.
    pub fn spec(&self, seed: u64) -> SplitSpec {
        SplitSpec {
            kind: self.split,
            seed,
            validation_fraction: self
                .val_fraction
                .unwrap_or_else(|| self.split.default_validation_fraction()),
        }
    }
}

impl DataArgs {
    /// Finds and loads MNIST, reporting skipped places and downloads on stderr.
    pub fn load(&self) -> anyhow::Result<mnist_data::Mnist> {
        let sources = mnist_data::Sources::standard(self.data_dir.clone(), !self.skip_checksum);
        let mnist = sources.load(&mut |note| eprintln!("data: {note}"))?;
        Ok(mnist)
    }
}

fn data(args: &DataArgs) -> anyhow::Result<()> {
    let mnist = args.load()?;
    println!("MNIST found: {}", mnist.origin);
    if let mnist_data::Origin::Downloaded { urls, .. } = &mnist.origin {
        for url in urls {
            println!("  from {url}");
        }
    }
    println!(
        "{} training and {} test images, 28x28",
        mnist.train.len(),
        mnist.test.len()
    );
    for f in &mnist.files {
        let check = if f.verified {
            "verified"
        } else {
            "NOT verified (--skip-checksum)"
        };
        println!(
            "  {}  {}  sha256 {} {check}",
            f.part.canonical_name(),
            f.path.display(),
            f.sha256
        );
    }
    println!("train labels per class: {:?}", mnist.train.class_counts());
    println!("test labels per class:  {:?}", mnist.test.class_counts());
    Ok(())
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    progress::install_interrupt_handler();
    let result = match &cli.command {
        Command::Compare(args) => compare::run(args),
        Command::Data(args) => data(args).map(|()| ExitCode::SUCCESS),
        Command::Bench(args) => bench::run(args),
        Command::Split(args) => export::run(args).map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}
