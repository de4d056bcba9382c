//! The scratch MLP's benchmark: its workload, its NumPy twins (the notebook's own code, at the
//! backend's precision and at the notebook's float64) and the arithmetic one epoch does.

use bench_core::{Twin, Variant, WorkMeter, WorkSplit, WorkUnit, Workload};
use mnist_data::Dataset;

use crate::ScratchBackend;

/// One epoch on the notebook's protocol with nothing held out.
pub const WORKLOADS: &[Workload] = &[Workload {
    name: "scratch-epoch",
    about: "one scratch-MLP epoch, batch 32 (56k images on MNIST)",
    split: WorkSplit::Pooled,
    unit: WorkUnit::Epoch,
    variants: &[Variant {
        label: "scratch",
        settings: &[],
        feature: None,
        env: &[],
    }],
}];

impl ScratchBackend {
    /// The NumPy twins, with the layer widths and thread count of this configuration.
    pub(crate) fn numpy_twins(&self) -> Vec<Twin> {
        let hidden: Vec<String> = self.hidden.iter().map(usize::to_string).collect();
        let twin = |label: &str, dtype: &str, note| Twin {
            label: label.to_string(),
            script: "numpy_mlp.py",
            args: vec![
                "--dtype".into(),
                dtype.into(),
                "--hidden".into(),
                hidden.join(","),
                "--threads".into(),
                self.threads.to_string(),
            ],
            note,
        };
        vec![
            twin("NumPy f32", "float32", "same precision"),
            twin("NumPy f64", "float64", "the notebook's float64"),
        ]
    }

    /// The multiply-adds of one epoch over `train`.
    pub(crate) fn epoch_work(&self, train: &Dataset) -> EpochWork {
        let widths: Vec<usize> = std::iter::once(mnist_data::IMAGE_PIXELS)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(mnist_data::N_CLASSES))
            .collect();
        let products = |w: &[usize]| w.windows(2).map(|p| p[0] * p[1]).sum::<usize>() as f64;
        let images = train.len() as f64;
        let lit = train.pixels().iter().filter(|&&p| p != 0).count() as f64;
        // Forward pass plus weight gradients: 2 multiply-adds per weight and image, 2 FLOP each.
        EpochWork {
            dense_gflop: 4.0 * products(&widths) * images / 1e9,
            // The input layer skips zero pixels, so the arithmetic really done is less.
            done_gflop: 4.0 * (lit * widths[1] as f64 + products(&widths[1..]) * images) / 1e9,
            lit_fraction: lit / train.pixels().len().max(1) as f64,
        }
    }
}

/// The arithmetic of one scratch epoch.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct EpochWork {
    /// GFLOP counted densely, as a plain matrix-product implementation does them.
    pub dense_gflop: f64,
    /// GFLOP actually computed (zero pixels skipped).
    pub done_gflop: f64,
    /// Fraction of pixels that are not zero.
    pub lit_fraction: f64,
}

impl WorkMeter for EpochWork {
    fn lines(&self, _units: u64, median_seconds: f64) -> Vec<String> {
        vec![
            format!(
                "work: {:.2} GFLOP per epoch counted densely (forward + weight gradients) -> \
                 {:.1} GFLOP/s dense-equivalent at the median",
                self.dense_gflop,
                self.dense_gflop / median_seconds
            ),
            format!(
                "      {:.2} GFLOP actually computed ({:.1}% of pixels are non-zero) -> {:.1} GFLOP/s",
                self.done_gflop,
                100.0 * self.lit_fraction,
                self.done_gflop / median_seconds
            ),
        ]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_epoch_counts_every_weight_densely_and_only_lit_pixels_as_done() {
        // Two images, one with 10 lit pixels, one blank.
        let mut pixels = vec![0u8; 2 * 784];
        pixels[..10].fill(255);
        let train = Dataset::new(pixels, vec![1, 2]).unwrap();
        let backend = ScratchBackend {
            hidden: vec![4, 3],
            threads: 1,
        };
        let work = backend.epoch_work(&train);
        let weights = (784 * 4 + 4 * 3 + 3 * 10) as f64;
        assert!((work.dense_gflop - 4.0 * weights * 2.0 / 1e9).abs() < 1e-15);
        let done = 10.0 * 4.0 + 2.0 * (4 * 3 + 3 * 10) as f64;
        assert!((work.done_gflop - 4.0 * done / 1e9).abs() < 1e-15);
        assert!((work.lit_fraction - 10.0 / 1568.0).abs() < 1e-12);
    }

    #[test]
    fn the_twins_mirror_widths_and_threads() {
        let backend = ScratchBackend {
            hidden: vec![64, 32],
            threads: 1,
        };
        for twin in backend.numpy_twins() {
            let args = twin.args.join(" ");
            assert!(args.contains("--hidden 64,32"), "{args}");
            assert!(args.contains("--threads 1"), "{args}");
        }
    }
}
