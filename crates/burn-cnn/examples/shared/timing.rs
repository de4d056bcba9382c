//! Timing helpers the cnn's examples share: medians of alternated runs, and their arguments.

use std::time::Instant;

/// Median seconds of `repeats` runs of each of `runs`, after two untimed ones, alternated: each
/// repeat runs every one once. Medians are `bench_core::deploy::median`'s (the mean of the two
/// middle runs of an even count).
pub fn medians(repeats: usize, runs: &mut [&mut dyn FnMut() -> f32]) -> Vec<f64> {
    let mut sink = 0.0f32;
    let mut times = vec![Vec::with_capacity(repeats); runs.len()];
    for repeat in 0..repeats + 2 {
        for (run, times) in runs.iter_mut().zip(&mut times) {
            let started = Instant::now();
            sink += run();
            if repeat >= 2 {
                times.push(started.elapsed().as_secs_f64());
            }
        }
    }
    std::hint::black_box(sink);
    times
        .iter()
        .map(|t| bench_core::deploy::median(t).unwrap_or(f64::NAN))
        .collect()
}

/// The first argument as a whole number above 0, `default` without one; exits with a usage
/// line naming `usage` otherwise.
pub fn count_arg(arg: Option<String>, default: usize, usage: &str) -> usize {
    match arg.map(|a| a.parse::<usize>()) {
        None => default,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: {usage}, each a whole number above 0");
            std::process::exit(2);
        }
    }
}
