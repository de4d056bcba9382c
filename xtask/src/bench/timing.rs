//! `cargo xtask bench WORKLOAD`: repeated timed runs of one declared workload, its backend as
//! the command line configures it (`--set`; its defaults otherwise: the variants are for
//! `--reference`); reports the median, and the work the backend counted.

use std::process::ExitCode;

use anyhow::{Result, bail};
use bench_core::WorkUnit;
use mnist_data::Split;

use super::args::BenchArgs;
use super::measure::{measure, median, without_validation};
use super::workloads::Declared;
use crate::{progress::interrupted, provenance, registry};

/// Times `declared`'s workload with the command line's settings: one untimed warm-up run, then
/// `--runs` timed ones, each one epoch (or one whole fit).
pub fn run(args: &BenchArgs, declared: Declared) -> Result<ExitCode> {
    if args.runs == 0 {
        bail!("--runs must be at least 1");
    }
    // Every setting is checked before the data is read.
    let settings = args.settings.assignments()?;
    let backend = registry::one(declared.backend, &settings)?;
    let backend = backend.as_ref();
    let workload = declared.workload;
    let loaded = args.data.load()?;
    eprintln!("data: {}", loaded.describe());
    let mnist = loaded.mnist;
    let split = without_validation(Split::new(
        &mnist.train,
        &mnist.test,
        workload.split.spec(args.seed),
    )?);
    drop(mnist);
    let epochs = (workload.unit == WorkUnit::Epoch).then_some(1);
    let meter = backend.work_meter(&split.train);
    let mut times = Vec::with_capacity(args.runs);
    // Run 0 is the warm-up: page faults, thread start-up, CPU frequency ramp.
    for run in 0..=args.runs {
        let measured = measure(backend, workload.unit, &split, epochs, args.seed);
        if interrupted() {
            eprintln!("interrupted: no result");
            return Ok(ExitCode::from(crate::EXIT_INTERRUPTED));
        }
        let measured = measured?;
        if run > 0 {
            eprintln!("run {run}/{}: {:.3} s", args.runs, measured.seconds);
            times.push(measured.seconds);
        }
    }
    let median = median(&times);
    let min = times.iter().copied().fold(f64::INFINITY, f64::min);
    let max = times.iter().copied().fold(0.0, f64::max);
    let settings = backend.settings();
    println!(
        "{}: {} images ({}), batch {}, {}; settings: {}",
        workload.name,
        split.train.len(),
        workload.split.describe(),
        backend
            .defaults()
            .batch_size
            .map_or("none".to_string(), |b| b.to_string()),
        backend.model(),
        settings
            .iter()
            .map(|(k, v)| format!("{k}={v}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    println!(
        "median {median:.3} s per {} over {} runs (min {min:.3}, max {max:.3}); runs: {}",
        workload.unit.name(),
        times.len(),
        times
            .iter()
            .map(|t| format!("{t:.3}"))
            .collect::<Vec<_>>()
            .join(", ")
    );
    if let Some(meter) = meter {
        for line in meter.lines(times.len() as u64 + 1, median) {
            println!("{line}");
        }
    }
    println!(
        "machine: {}; build: {}; versions: {}",
        provenance::cpu(),
        provenance::build(),
        provenance::versions_line()
    );
    Ok(ExitCode::SUCCESS)
}
