//! `cargo xtask`: the mnist-compare command line. It parses flags and wires the crates together;
//! the work lives in `mnist-data`, the backend crates, `bench-core`, `report`, `image-input`
//! (predict's images) and `safe-write` (every file it writes). It holds no training logic, and no
//! reporting logic but the side-by-side table of `bench` (`bench/table.rs`).
//!
//! Layout: `registry.rs` is the one place that lists the backends (no per-backend flag or setting
//! lives in `compare`); `compare.rs`, `bench/`, `predict/` and `export.rs` (`split`) are the
//! commands, with `shard.rs` (compare's `--shard` and `--plan`), `part.rs` (what a shard writes
//! and merge reads), `merge.rs` and `baseline.rs` (`--baseline`); `output.rs` claims each
//! command's output folder before any work and swaps it in with a second Ctrl-C held off;
//! `progress.rs` shows progress and handles Ctrl-C; `provenance.rs` and `build.rs` record what
//! produced a report; `saved_models.rs` claims, writes and reads `compare
//! --save-models` folders. `reference/` holds the twins' Python, outside the Rust build:
//! `numpy_mlp.py` (scratch), `sklearn_logistic.py` (linfa), `keras_mlp.py` and `torch_mlp.py` (burn
//! and candle), `torch_cnn.py` (cnn), and `_common.py` (reading the exported split, the options
//! that mirror a model, the one JSON line each twin answers with). `tests/figures.rs` holds the
//! README's and docs' figures to the committed files they copy, and `tests/unsourced_figures.rs`
//! finds measured figures quoted outside such blocks.

mod baseline;
mod bench;
mod child;
mod compare;
mod export;
mod merge;
mod output;
mod part;
mod predict;
mod progress;
mod provenance;
mod registry;
mod saved_models;
mod shard;

use std::path::PathBuf;
use std::process::ExitCode;

use anyhow::Context;
use clap::{Args, Parser, Subcommand};
use mnist_data::{SplitKind, SplitSpec};

/// Exit status when a command ran but part of what it was asked failed: a run, a model to save, an
/// image or model of `predict`.
pub const EXIT_RUNS_FAILED: u8 = 2;
/// Exit status after Ctrl-C.
pub const EXIT_INTERRUPTED: u8 = 130;

const AFTER_HELP: &str = "\
Exit status:
  0    everything ran and every run succeeded
  1    an error, which the message names: bad input (flags, data files, configuration), an
       --out or a --save-models model folder another run holds or that is not the tool's,
       found before anything trained; or, after training, the report could not be written (the
       previous one is left as it was)
  2    the comparison ran and the report was written, but some runs failed (see the status
       column) or some models could not be saved (named first in the report; earlier models of
       those names kept)
  130  interrupted with Ctrl-C: the previous reports are left as they were";

/// Train MNIST-family classifiers (MNIST, Fashion-MNIST) through one interface and compare
/// them honestly.
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
    /// Say where the dataset's files were found and show their verified checksums.
    Data(DataArgs),
    /// Measure training speed: median of repeated runs, with hardware and build recorded.
    Bench(bench::BenchArgs),
    /// Classify your own images (PNG, JPEG, BMP) with the models `compare --save-models` saved:
    /// each model's top three classes, and with --out a picture.
    Predict(predict::PredictArgs),
    /// Write the split a comparison uses (same --split, --val-fraction, --seed) as raw IDX files,
    /// for training other tools on the same images.
    Split(export::ExportArgs),
    /// Merge the parts written by `compare --shard K/N` into the report the whole command would
    /// have written (docs/scale.md).
    Merge(merge::MergeArgs),
}

/// Where the data comes from.
#[derive(Debug, Clone, Args)]
pub struct DataArgs {
    /// Dataset: mnist (handwritten digits) or fashion-mnist (Zalando's clothing images).
    #[arg(long, default_value = "mnist", value_name = "NAME")]
    pub dataset: String,
    /// Folder holding the dataset's four IDX files (raw or .gz). Default: $MNIST_DIR (for
    /// fashion-mnist $FASHION_MNIST_DIR), then the copy bundled with the project (MNIST only),
    /// then the user cache, then a download.
    #[arg(long, value_name = "DIR")]
    pub data_dir: Option<PathBuf>,
    /// Accept 28x28, 10-class IDX files whose SHA-256 differs from the dataset's published
    /// files; the report then says the data is unverified and labels classes 0-9.
    #[arg(long)]
    pub skip_checksum: bool,
    /// Names of the ten classes, label 0 first, comma-separated (default: the dataset's own).
    #[arg(long, value_name = "LIST", value_delimiter = ',')]
    pub class_names: Option<Vec<String>>,
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

/// A dataset loaded for a command, with what the report calls it.
pub struct Loaded {
    /// The files.
    pub mnist: mnist_data::Mnist,
    /// The dataset's title and class names, as the report shows them.
    pub labels: report::DatasetLabels,
    /// Whether the files are a known dataset, checked by checksum.
    pub verified: bool,
}

impl Loaded {
    /// Where the data came from and what it is, for provenance (no machine paths).
    pub fn describe(&self) -> String {
        provenance::data(&self.mnist.origin, &self.labels.title, self.verified)
    }
}

impl DataArgs {
    /// The dataset asked for, its class names checked: every flag here fails before any data is
    /// read or anything trains.
    pub fn check(&self) -> anyhow::Result<&'static mnist_data::DatasetSpec> {
        let spec = mnist_data::spec::by_name(&self.dataset).context("--dataset")?;
        if let Some(names) = &self.class_names {
            if names.len() != mnist_data::N_CLASSES {
                anyhow::bail!(
                    "--class-names: {} names given, expected {} (one per label 0-9, comma-separated)",
                    names.len(),
                    mnist_data::N_CLASSES
                );
            }
            if let Some(i) = names.iter().position(|n| n.trim().is_empty()) {
                anyhow::bail!("--class-names: the name of label {i} is empty");
            }
        }
        Ok(spec)
    }

    /// Finds and loads the dataset, reporting skipped places and downloads on stderr.
    pub fn load(&self) -> anyhow::Result<Loaded> {
        let spec = self.check()?;
        let sources =
            mnist_data::Sources::standard(spec, self.data_dir.clone(), !self.skip_checksum)?;
        let mnist = sources.load(&mut |note| eprintln!("data: {note}"))?;
        // Files that are a known dataset speak its language, even unverified by request.
        let known = if mnist.verified() {
            Some(spec)
        } else {
            mnist.identified
        };
        if let Some(other) = known.filter(|k| k.name != spec.name) {
            eprintln!(
                "data: these files are {} (all four checksums match), not {}: labelled as {}",
                other.title, spec.title, other.title
            );
        }
        let mut labels = match known {
            Some(k) => report::DatasetLabels {
                title: k.title.to_string(),
                class_noun: k.class_noun.to_string(),
                class_names: k.class_names.map(String::from).to_vec(),
            },
            None => report::DatasetLabels {
                title: "unverified 28x28 IDX data".to_string(),
                class_noun: "class".to_string(),
                class_names: (0..mnist_data::N_CLASSES).map(|c| c.to_string()).collect(),
            },
        };
        if let Some(names) = &self.class_names {
            labels.class_names = names.iter().map(|n| n.trim().to_string()).collect();
        }
        Ok(Loaded {
            mnist,
            labels,
            verified: known.is_some(),
        })
    }
}

fn data(args: &DataArgs) -> anyhow::Result<()> {
    let loaded = args.load()?;
    let mnist = &loaded.mnist;
    println!("{} found: {}", loaded.labels.title, mnist.origin);
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
    let names = &loaded.labels.class_names;
    for (part, counts) in [
        ("train", mnist.train.class_counts()),
        ("test", mnist.test.class_counts()),
    ] {
        let per_class: Vec<String> = counts
            .iter()
            .zip(names)
            .map(|(n, name)| format!("{name} {n}"))
            .collect();
        println!(
            "{part} images per {}: {}",
            loaded.labels.class_noun,
            per_class.join(", ")
        );
    }
    Ok(())
}

fn main() -> ExitCode {
    // SAFETY: the first statement of main, and nothing starts a thread before main (std does
    // not; no dependency runs code at load time), so this is the only thread.
    #[allow(unsafe_code)]
    unsafe {
        bench_core::malloc::keep_freed_memory()
    };
    let cli = Cli::parse();
    progress::install_interrupt_handler();
    let result = match &cli.command {
        Command::Compare(args) => compare::run(args),
        Command::Merge(args) => merge::run(args),
        Command::Data(args) => data(args).map(|()| ExitCode::SUCCESS),
        Command::Bench(args) => bench::run(args),
        Command::Split(args) => export::run(args).map(|()| ExitCode::SUCCESS),
        Command::Predict(args) => predict::run(args),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            let text = format!("{e:#}");
            // A value that needs a cargo feature this build lacks: the command that works.
            match bench_core::feature_needed(&text) {
                Some(f) if !provenance::features().contains(&f) => eprintln!(
                    "error: {text}; the same command with it: {}",
                    provenance::command_line_with(f)
                ),
                _ => eprintln!("error: {text}"),
            }
            ExitCode::FAILURE
        }
    }
}
