//! A fitted model: its class probabilities, as the runner and a saved model's reader ask for
//! them.

use bench_core::{FittedModel, TrainError};
use mnist_data::{Dataset, IMAGE_PIXELS, N_CLASSES};
use ndarray_linfa::ArrayView2;

use crate::training::features;
use crate::{Float, Model, saved};

/// Rows converted at a time when predicting, so that only one full copy of the training features
/// (the one linfa fits on) ever exists.
const PREDICT_ROWS: usize = 4096;

/// A fitted linfa model.
#[derive(Debug, Clone)]
pub struct FittedLinfa<F: Float> {
    pub(crate) model: Model<F>,
    /// The pixels the model was fitted on; every other pixel's weights are exactly zero.
    pub(crate) pixels: Vec<usize>,
}

impl<F: Float> FittedLinfa<F> {
    /// Probabilities for `x`, as 10 columns even if a class was absent from training.
    pub(crate) fn proba_of(&self, x: ArrayView2<'_, F>) -> Vec<f32> {
        let p = F::probabilities(&self.model, x);
        let mut out = vec![0.0f32; x.nrows() * N_CLASSES];
        for (row, out) in p.rows().into_iter().zip(out.chunks_exact_mut(N_CLASSES)) {
            for (&class, &v) in F::classes(&self.model).iter().zip(row) {
                out[class] = v.to_probability();
            }
        }
        out
    }
}

impl<F: Float> FittedModel for FittedLinfa<F> {
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError> {
        let mut out = Vec::with_capacity(images.len() * N_CLASSES);
        let mut start = 0;
        while start < images.len() {
            let end = (start + PREDICT_ROWS).min(images.len());
            out.extend(self.proba_of(features::<F>(images, start, end, &self.pixels).view()));
            start = end;
        }
        Ok(out)
    }

    fn param_count(&self) -> usize {
        // The full linear model: a weight per pixel and class, and an intercept per class.
        (IMAGE_PIXELS + 1) * N_CLASSES
    }

    fn save(&self, dir: &std::path::Path) -> Result<(), TrainError> {
        saved::save(self, dir)
    }
}
