//! `cargo xtask bench`: repeated timed runs of one training workload; reports the median.

use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Instant;

use anyhow::{Result, bail};
use bench_core::{Backend, Hyperparams, Quiet, TrainData};
use clap::{Args, ValueEnum};
use mnist_data::{Split, SplitKind, SplitSpec};

use crate::registry::{self, SettingsArgs};
use crate::{DataArgs, provenance, reference};

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// One scratch-MLP epoch on the pooled-80-20 protocol (56k images, batch 32, no validation).
    ScratchEpoch,
    /// A full linfa fit (100 L-BFGS iterations) on the pooled-80-20 protocol (56k images).
    LinfaFit,
    /// One burn epoch on the standard split with 20% held out, as the notebook's Keras run
    /// (48k images, batch 32, no per-epoch validation).
    BurnEpoch,
    /// One epoch of the cnn backend on the same 48k images (batch 64, no per-epoch validation).
    CnnEpoch,
}

/// Flags of `bench`.
#[derive(Debug, Args)]
#[command(after_help = format!("{}\n{}", reference::after_help(), registry::settings_help()))]
pub struct BenchArgs {
    /// The workload to time. With --reference: only the rows of this workload (default: all).
    #[arg(value_enum, required_unless_present = "reference")]
    pub target: Option<Target>,
    /// Timed runs (after one untimed warm-up run).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Side by side with the notebook's models in Python (xtask/reference/*.py), run by this
    /// interpreter: each Rust workload alternated with its twins, round after round.
    #[arg(long, value_name = "PYTHON")]
    pub reference: Option<PathBuf>,
    /// With --reference: rounds, each with its own model seed (--seed, --seed+1, ...).
    #[arg(long, default_value_t = 5, requires = "reference")]
    pub rounds: usize,
    /// With --reference: epochs of every network's run, both sides (default: the backends' own,
    /// scratch 10, burn 20, cnn 7). The logistic regressions always run their 100 iterations.
    #[arg(long, requires = "reference")]
    pub epochs: Option<usize>,
    /// With --reference: folder for reference.md and reference.json (default: benchmarks/ at the
    /// workspace root for every row, benchmarks/<target>/ for one target's rows; replaced
    /// atomically, as reports are). Ctrl-C writes nothing and exits 130.
    #[arg(long, value_name = "DIR", requires = "reference")]
    pub out: Option<PathBuf>,
    /// With --reference: seconds a twin may run before it is stopped and reported as failed.
    #[arg(
        long,
        value_name = "SECONDS",
        default_value_t = 3600,
        value_parser = clap::value_parser!(u64).range(1..),
        requires = "reference"
    )]
    pub twin_timeout: u64,
    /// Seed of the split and the model.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    #[command(flatten)]
    pub settings: SettingsArgs,
    #[command(flatten)]
    pub data: DataArgs,
}

impl Target {
    /// The registered backend this workload times.
    pub fn backend(self) -> &'static str {
        match self {
            Self::ScratchEpoch => "scratch",
            Self::LinfaFit => "linfa",
            Self::BurnEpoch => "burn",
            Self::CnnEpoch => "cnn",
        }
    }
}

/// Median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    if n == 0 {
        return f64::NAN;
    }
    if n % 2 == 1 {
        v[n / 2]
    } else {
        (v[n / 2 - 1] + v[n / 2]) / 2.0
    }
}

/// Runs the benchmark and prints the result.
pub fn run(args: &BenchArgs) -> Result<ExitCode> {
    if let Some(python) = &args.reference {
        return reference::run(args, python);
    }
    let Some(target) = args.target else {
        bail!(
            "name a workload to time (scratch-epoch, linfa-fit, burn-epoch, cnn-epoch), or pass --reference"
        );
    };
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    // Every setting is checked before the data is read.
    let settings = args.settings.assignments()?;
    let backend = registry::one(target.backend(), &settings)?;
    let backend = backend.as_ref();
    let loaded = args.data.load()?;
    eprintln!("data: {}", loaded.describe());
    let mnist = loaded.mnist;
    match target {
        Target::LinfaFit => {
            let split = pooled_without_validation(&mnist, args.seed)?;
            let before = linfa_baseline::product_counts();
            let times = time_training(backend, args, &split, None)?;
            print_result(
                &format!(
                    "linfa fit: {} images, {} L-BFGS iterations, {}",
                    split.train.len(),
                    backend.defaults().epochs,
                    backend.model()
                ),
                &times,
            );
            if let (Some(before), Some(after)) = (before, linfa_baseline::product_counts()) {
                // The warm-up fit counts too.
                let fits = times.len() as u64 + 1;
                println!(
                    "products of the feature matrix per fit: {} computed, {} repeats answered from memory",
                    (after.computed - before.computed) / fits,
                    (after.remembered - before.remembered) / fits
                );
            }
        }
        Target::BurnEpoch | Target::CnnEpoch => {
            let spec = SplitSpec {
                kind: SplitKind::Standard,
                seed: args.seed,
                validation_fraction: 0.2,
            };
            let split = Split::new(&mnist.train, &mnist.test, spec)?;
            let times = time_training(backend, args, &split, Some(1))?;
            print_result(
                &format!(
                    "{} epoch: {} images, batch {}, {}, no validation pass",
                    backend.name(),
                    split.train.len(),
                    backend.defaults().batch_size.unwrap_or(0),
                    backend.model()
                ),
                &times,
            );
        }
        Target::ScratchEpoch => {
            let split = pooled_without_validation(&mnist, args.seed)?;
            let times = time_training(backend, args, &split, Some(1))?;
            // The layer widths as the backend records them, e.g. "784-128-10".
            let recorded = backend.settings();
            let widths: Vec<usize> = recorded
                .get("layers")
                .map(|l| l.split('-').filter_map(|w| w.parse().ok()).collect())
                .unwrap_or_default();
            let weights: usize = widths.windows(2).map(|w| w[0] * w[1]).sum();
            // Forward pass plus weight gradients, 2 FLOP per multiply-add, counted densely as a
            // plain matrix-product implementation does them.
            let dense_gflop = 4.0 * weights as f64 * split.train.len() as f64 / 1e9;
            // The input layer skips zero pixels, so the arithmetic really done is less.
            let lit = split.train.pixels().iter().filter(|&&p| p != 0).count() as f64;
            let later: usize = widths[1..].windows(2).map(|w| w[0] * w[1]).sum();
            let done_gflop =
                4.0 * (lit * widths[1] as f64 + (later * split.train.len()) as f64) / 1e9;
            let med = median(&times);
            print_result(
                &format!(
                    "scratch epoch: {} images, batch {}, {} threads, layers {}",
                    split.train.len(),
                    backend.defaults().batch_size.unwrap_or(0),
                    recorded.get("threads").map_or("?", String::as_str),
                    recorded.get("layers").map_or("?", String::as_str)
                ),
                &times,
            );
            println!(
                "work: {dense_gflop:.2} GFLOP per epoch counted densely (forward + weight gradients) -> \
                 {:.1} GFLOP/s dense-equivalent at the median",
                dense_gflop / med
            );
            println!(
                "      {done_gflop:.2} GFLOP actually computed ({:.1}% of pixels are non-zero) -> {:.1} GFLOP/s",
                100.0 * lit / split.train.pixels().len() as f64,
                done_gflop / med
            );
        }
    }
    Ok(ExitCode::SUCCESS)
}

/// The notebook's protocol with nothing held out: 56k training images.
fn pooled_without_validation(mnist: &mnist_data::Mnist, seed: u64) -> Result<Split> {
    let spec = SplitSpec {
        kind: SplitKind::Pooled8020,
        seed,
        validation_fraction: 0.0,
    };
    Ok(Split::new(&mnist.train, &mnist.test, spec)?)
}

/// Times `backend.train` on `split`'s training part (no validation), with `epochs` if given.
fn time_training(
    backend: &dyn Backend,
    args: &BenchArgs,
    split: &Split,
    epochs: Option<usize>,
) -> Result<Vec<f64>> {
    let defaults = backend.defaults();
    let hp = Hyperparams {
        seed: args.seed,
        epochs: epochs.unwrap_or(defaults.epochs),
        ..defaults
    };
    let hp = bench_core::prepare(backend, hp)?;
    let data = TrainData {
        train: &split.train,
        validation: None,
    };
    timed(args.runs, || {
        backend.train(&hp, &data, &mut Quiet)?;
        Ok(())
    })
}

fn timed(
    runs: usize,
    mut f: impl FnMut() -> Result<(), bench_core::TrainError>,
) -> Result<Vec<f64>> {
    f()?; // warm-up: page faults, thread start-up, CPU frequency ramp
    let mut times = Vec::with_capacity(runs);
    for i in 0..runs {
        let t = Instant::now();
        f()?;
        times.push(t.elapsed().as_secs_f64());
        eprintln!("run {}/{runs}: {:.3} s", i + 1, times[i]);
    }
    Ok(times)
}

fn print_result(what: &str, times: &[f64]) {
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let max = times.iter().copied().fold(0.0, f64::max);
    println!("{what}");
    println!(
        "median {:.3} s over {} runs (min {min:.3}, max {max:.3}); runs: {}",
        median(times),
        times.len(),
        times
            .iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "machine: {}; build: {}; versions: {}",
        provenance::cpu(),
        provenance::build(),
        provenance::versions_line()
    );
}
