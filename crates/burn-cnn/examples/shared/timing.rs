//! Medians of alternated runs, as the cnn's timing examples take them.

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
