//! What a model costs to use: the latency of one prediction, the throughput of batches, and the
//! peak resident memory while it trained. Measured by the runner on every successful run, after
//! the test set has been scored (timing reads test images; it decides nothing).

use std::time::Instant;

use mnist_data::{Dataset, IMAGE_PIXELS};
use serde::{Deserialize, Serialize};

use crate::backend::FittedModel;

/// Single-image predictions timed (after [`WARM_UP`] untimed ones).
pub const LATENCY_IMAGES: usize = 1000;
/// Untimed predictions first, so that lazy set-up (thread pools, buffers) is not timed.
pub const WARM_UP: usize = 20;
/// Images per batch for the throughput figure.
pub const BATCH: usize = 256;
/// Batches timed for it.
pub const BATCHES: usize = 20;

/// A run's deployment figures.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Deployment {
    /// Median seconds of one prediction at batch 1.
    pub latency_median_seconds: f64,
    /// 99th percentile of the same.
    pub latency_p99_seconds: f64,
    /// Predictions timed for the two figures above.
    pub latency_images: usize,
    /// Images per second at batch [`BATCH`].
    pub throughput_per_second: f64,
    /// Peak resident memory of the whole process while the model trained (Linux: the high-water
    /// mark reset before training and read after); `None` where it cannot be measured.
    pub peak_training_rss_bytes: Option<u64>,
    /// The process's resident memory when training started (what the peak rose from).
    #[serde(default)]
    pub rss_before_training_bytes: Option<u64>,
    /// Seconds the latency and throughput measurements took, warm-ups included.
    #[serde(default)]
    pub measuring_seconds: f64,
}

/// Times `model` on `images`: one image at a time, then batches of [`BATCH`] (fewer images than
/// asked for are used again from the start). Errors are the model's own, in one line.
pub fn measure(
    model: &dyn FittedModel,
    images: &Dataset,
) -> Result<(f64, f64, usize, f64), String> {
    if images.is_empty() {
        return Err("no images to time predictions on".to_string());
    }
    let one = |i: usize| {
        let image = images.image(i % images.len()).to_vec();
        Dataset::new(image, vec![0]).map_err(|e| e.to_string())
    };
    let singles = (0..WARM_UP + LATENCY_IMAGES)
        .map(one)
        .collect::<Result<Vec<_>, _>>()?;
    let mut seconds = Vec::with_capacity(LATENCY_IMAGES);
    for (k, image) in singles.iter().enumerate() {
        let started = Instant::now();
        model.predict_proba(image).map_err(|e| e.to_string())?;
        if k >= WARM_UP {
            seconds.push(started.elapsed().as_secs_f64());
        }
    }
    seconds.sort_by(f64::total_cmp);
    let median = seconds[seconds.len() / 2];
    let p99 = seconds[(seconds.len() * 99).div_ceil(100) - 1];
    let batches = (0..BATCHES)
        .map(|b| {
            let mut pixels = Vec::with_capacity(BATCH * IMAGE_PIXELS);
            for i in 0..BATCH {
                pixels.extend_from_slice(images.image((b * BATCH + i) % images.len()));
            }
            Dataset::new(pixels, vec![0; BATCH]).map_err(|e| e.to_string())
        })
        .collect::<Result<Vec<_>, _>>()?;
    model
        .predict_proba(&batches[0])
        .map_err(|e| e.to_string())?;
    let started = Instant::now();
    for batch in &batches {
        model.predict_proba(batch).map_err(|e| e.to_string())?;
    }
    let throughput = (BATCH * BATCHES) as f64 / started.elapsed().as_secs_f64().max(1e-9);
    Ok((median, p99, seconds.len(), throughput))
}

/// The median of `values` (the mean of the middle two for an even count); `None` for none.
pub fn median(values: &[f64]) -> Option<f64> {
    let mut v = values.to_vec();
    v.sort_by(f64::total_cmp);
    let n = v.len();
    match n {
        0 => None,
        _ if n % 2 == 1 => Some(v[n / 2]),
        _ => Some((v[n / 2 - 1] + v[n / 2]) / 2.0),
    }
}

/// Resets the process's resident-memory high-water mark to its current size and returns that
/// size in bytes (Linux; `None` where it cannot).
pub fn reset_peak_memory() -> Option<u64> {
    if !cfg!(target_os = "linux") || std::fs::write("/proc/self/clear_refs", "5").is_err() {
        return None;
    }
    status_bytes("VmRSS:")
}

/// The process's resident-memory high-water mark since the last reset, in bytes (Linux: VmHWM).
pub fn peak_memory() -> Option<u64> {
    status_bytes("VmHWM:")
}

fn status_bytes(field: &str) -> Option<u64> {
    if !cfg!(target_os = "linux") {
        return None;
    }
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with(field))?;
    let kib: u64 = line.split_whitespace().nth(1)?.parse().ok()?;
    Some(kib * 1024)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), Some(2.0));
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), Some(2.5));
        assert_eq!(median(&[]), None);
    }

    #[test]
    #[cfg(target_os = "linux")]
    fn the_high_water_mark_sees_an_allocation_and_can_be_reset() {
        let start = reset_peak_memory().unwrap();
        let before = peak_memory().unwrap();
        assert!(before >= start);
        let big = vec![1u8; 64 << 20];
        std::hint::black_box(&big);
        let during = peak_memory().unwrap();
        assert!(during >= before + (60 << 20), "{before} -> {during}");
        drop(big);
        assert!(reset_peak_memory().is_some());
        assert!(peak_memory().unwrap() < during, "reset");
    }
}
