//! `cargo xtask bench`: repeated timed runs of one training workload; reports the median.

use std::time::Instant;

use anyhow::{Result, bail};
use bench_core::{Backend, Hyperparams, Quiet, TrainData};
use clap::{Args, ValueEnum};
use mnist_data::{Split, SplitKind, SplitSpec};

use crate::{DataArgs, provenance};

/// What to measure.
#[derive(Debug, Clone, Copy, PartialEq, Eq, ValueEnum)]
pub enum Target {
    /// One scratch-MLP epoch on the pooled-80-20 protocol (56k images, batch 32, no validation).
    ScratchEpoch,
}

/// Flags of `bench`.
#[derive(Debug, Args)]
pub struct BenchArgs {
    /// The workload to time.
    #[arg(value_enum)]
    pub target: Target,
    /// Timed runs (after one untimed warm-up run).
    #[arg(long, default_value_t = 5)]
    pub runs: usize,
    /// Seed of the split and the model.
    #[arg(long, default_value_t = 42)]
    pub seed: u64,
    /// Worker threads for the scratch MLP (default: one per core, at most 2).
    #[arg(long)]
    pub threads: Option<usize>,
    #[command(flatten)]
    pub data: DataArgs,
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
pub fn run(args: &BenchArgs) -> Result<()> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    let mnist = args.data.load()?;
    eprintln!("data: {}", mnist.origin);
    match args.target {
        Target::ScratchEpoch => {
            let spec = SplitSpec {
                kind: SplitKind::Pooled8020,
                seed: args.seed,
                validation_fraction: 0.0,
            };
            let split = Split::new(&mnist.train, &mnist.test, spec)?;
            let mut backend = scratch_mlp::ScratchBackend::default();
            if let Some(t) = args.threads {
                backend.threads = t;
            }
            let hp = Hyperparams {
                epochs: 1,
                ..backend.defaults()
            };
            let hp = bench_core::prepare(
                &backend,
                Hyperparams {
                    seed: args.seed,
                    ..hp
                },
            )?;
            let data = TrainData {
                train: &split.train,
                validation: None,
            };
            let times = timed(args.runs, || {
                backend.train(&hp, &data, &mut Quiet)?;
                Ok(())
            })?;
            let widths: Vec<usize> = std::iter::once(784)
                .chain(backend.hidden.iter().copied())
                .chain(std::iter::once(10))
                .collect();
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
                    hp.get().batch_size.unwrap_or(0),
                    backend.threads,
                    backend.settings()["layers"]
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
    Ok(())
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
        "machine: {}; build: {}",
        provenance::cpu(),
        provenance::build()
    );
}
