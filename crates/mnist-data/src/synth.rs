//! Small synthetic MNIST-shaped data for tests across the workspace: no test needs the real files.

use crate::dataset::Dataset;
use crate::idx::{IMAGE_PIXELS, N_CLASSES, SIDE};
use crate::rng::Rng;
use crate::source::Checksums;
use crate::spec::{DatasetSpec, IDX_FILE_NAMES};

/// `n` images whose class is visible as a bright 4x4 patch at a class-specific place on a noisy
/// background: linearly separable, yet not trivially so for a model that starts from noise.
pub fn separable(n: usize, seed: u64) -> Dataset {
    let mut rng = Rng::derive(seed, "synthetic");
    let mut pixels = vec![0u8; n * IMAGE_PIXELS];
    let mut labels = Vec::with_capacity(n);
    for image in pixels.chunks_exact_mut(IMAGE_PIXELS) {
        let class = rng.below(N_CLASSES);
        for p in image.iter_mut() {
            *p = rng.below(60) as u8;
        }
        let (top, left) = (3 + (class / 5) * 12, 2 + (class % 5) * 5);
        for r in top..top + 4 {
            for c in left..left + 4 {
                image[r * SIDE + c] = 160 + rng.below(96) as u8;
            }
        }
        labels.push(class as u8);
    }
    // Lengths agree and labels are below 10 by construction.
    Dataset::new(pixels, labels).unwrap_or_default()
}

/// A dataset spec for files written by [`crate::write::write_dir`] (checksums `sums`), so that tests exercise
/// finding, verifying and identifying datasets without the real files. Its strings are leaked:
/// for tests, which make a handful.
pub fn spec(name: &str, sums: &Checksums) -> &'static DatasetSpec {
    let leak = |s: String| -> &'static str { s.leak() };
    Box::leak(Box::new(DatasetSpec {
        name: leak(name.to_string()),
        title: leak(format!("Synthetic-{name}")),
        about: "generated test images",
        class_noun: "class",
        class_names: [
            "zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine",
        ],
        files: IDX_FILE_NAMES,
        sha256: sums.0.clone().map(leak),
        licence: "none",
        mirrors: &[],
        dir_env: "SYNTH_DIR",
        bundled: false,
    }))
}
