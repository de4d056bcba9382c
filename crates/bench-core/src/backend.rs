//! The backend trait: a backend validates its hyperparameters and trains; the fitted model predicts.

use std::collections::BTreeMap;
use std::path::Path;

use mnist_data::{Dataset, N_CLASSES};
use serde::{Deserialize, Serialize};

use crate::benchmark::{Twin, WorkMeter};
use crate::config::{ConfigError, Hyperparams, ValidHyperparams};

/// What a backend trains on. The test set is deliberately absent: it is used once, by the runner.
#[derive(Debug, Clone, Copy)]
pub struct TrainData<'a> {
    /// Images to fit.
    pub train: &'a Dataset,
    /// Images to evaluate after every epoch; `None` when no validation set was held out.
    pub validation: Option<&'a Dataset>,
}

impl TrainData<'_> {
    /// The validation pass every backend makes after an epoch: the mean cross-entropy and the
    /// accuracy of `predict`'s probabilities on the validation set, or `(None, None)` when none
    /// was held out (and `predict` is not called).
    pub fn validate(
        &self,
        predict: impl FnOnce(&Dataset) -> Result<Vec<f32>, TrainError>,
    ) -> Result<(Option<f64>, Option<f64>), TrainError> {
        let Some(v) = self.validation else {
            return Ok((None, None));
        };
        let (loss, accuracy) = loss_and_accuracy(&predict(v)?, v.labels());
        Ok((Some(loss), Some(accuracy)))
    }
}

/// What one point of the training history counts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, Default)]
#[serde(rename_all = "lowercase")]
pub enum HistoryUnit {
    /// A pass over the training set.
    #[default]
    Epoch,
    /// An optimiser iteration (L-BFGS): the budget after which the point was taken.
    Iteration,
}

impl HistoryUnit {
    /// The unit's name in tables: `epoch` or `iteration`.
    pub fn name(self) -> &'static str {
        match self {
            Self::Epoch => "epoch",
            Self::Iteration => "iteration",
        }
    }
}

/// Metrics after one epoch (or iteration budget).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct EpochStats {
    /// 1-based epoch number, or the iteration budget for [`HistoryUnit::Iteration`].
    pub step: usize,
    /// Mean training loss (cross-entropy) over the epoch's batches, as they were trained.
    pub train_loss: f64,
    /// Training accuracy over the epoch's batches, as they were trained.
    pub train_accuracy: f64,
    /// Validation loss after the epoch.
    pub validation_loss: Option<f64>,
    /// Validation accuracy after the epoch.
    pub validation_accuracy: Option<f64>,
    /// Seconds the epoch took, validation included.
    pub seconds: f64,
}

/// Hears about training as it goes; also the way to ask a backend to stop early.
pub trait Observer {
    /// Called after each epoch.
    fn epoch(&mut self, stats: &EpochStats);
    /// Called as batches complete within an epoch (`done` of `total`), for progress display.
    fn batch(&mut self, _done: usize, _total: usize) {}
    /// Whether the user asked to stop; backends check it between batches.
    fn cancelled(&self) -> bool {
        false
    }
}

/// An observer that ignores everything.
#[derive(Debug, Default, Clone, Copy)]
pub struct Quiet;

impl Observer for Quiet {
    fn epoch(&mut self, _stats: &EpochStats) {}
}

/// Why training did not produce a model.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum TrainError {
    /// The loss became non-finite or exceeded [`DIVERGED_LOSS`] (see [`diverged`]).
    #[error("diverged: the training loss reached {loss:.3e} in epoch {step} (try a smaller --lr)")]
    Diverged {
        /// The epoch (or iteration) where it happened.
        step: usize,
        /// The offending mean loss.
        loss: f64,
    },
    /// The observer asked to stop.
    #[error("interrupted")]
    Cancelled,
    /// The hyperparameters do not suit this backend.
    #[error(transparent)]
    Config(#[from] ConfigError),
    /// The backend's own machinery failed.
    #[error("{0}")]
    Backend(String),
}

/// A trained model.
pub trait FittedModel: Send {
    /// Class probabilities, `images.len() x 10`, row-major.
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError>;

    /// Number of trainable parameters.
    fn param_count(&self) -> usize;

    /// The most probable class of each image.
    fn predict(&self, images: &Dataset) -> Result<Vec<u8>, TrainError> {
        Ok(argmax_rows(&self.predict_proba(images)?))
    }

    /// Writes the model's weights into the existing folder `dir`, in files of the backend's
    /// choosing (a standard format where one fits), so that [`Backend::load`] of a backend built
    /// with the same settings reads them back to bit-identical predictions. The caller writes
    /// what else is needed to rebuild that backend (its settings) beside them.
    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        Err(TrainError::Backend(format!(
            "{}: this backend cannot save its models",
            dir.display()
        )))
    }
}

/// The index of the largest value (the first one on ties; 0 for an empty or all-NaN row).
pub fn argmax(row: &[f32]) -> usize {
    let mut best = 0;
    for (i, &p) in row.iter().enumerate() {
        if p > row[best] {
            best = i;
        }
    }
    best
}

/// The most probable class of each row of 10 probabilities.
pub fn argmax_rows(proba: &[f32]) -> Vec<u8> {
    proba
        .chunks_exact(N_CLASSES)
        .map(|row| argmax(row) as u8)
        .collect()
}

/// A mean cross-entropy above this (in nats) means the model has diverged: the uniform guess
/// scores ln 10 = 2.3, and only logits thousands apart produce such a loss. Training loops stop a
/// run at the first batch past it, or at the first non-finite loss.
pub const DIVERGED_LOSS: f64 = 1e4;

/// Whether a mean cross-entropy means divergence (non-finite or above [`DIVERGED_LOSS`]).
pub fn diverged(loss: f64) -> bool {
    !loss.is_finite() || loss > DIVERGED_LOSS
}

/// Probabilities below this are clipped before taking the log, as Keras does, so that one
/// confidently wrong image cannot make the mean loss infinite.
pub const PROBABILITY_FLOOR: f32 = 1e-7;

/// Mean cross-entropy and accuracy of `proba` (`n x 10`) against `labels`.
pub fn loss_and_accuracy(proba: &[f32], labels: &[u8]) -> (f64, f64) {
    if labels.is_empty() {
        return (0.0, 0.0);
    }
    let (mut loss, mut correct) = (0.0f64, 0usize);
    for (row, &label) in proba.chunks_exact(N_CLASSES).zip(labels) {
        loss -= f64::from(row[usize::from(label)].max(PROBABILITY_FLOOR)).ln();
        correct += usize::from(argmax(row) == usize::from(label));
    }
    let n = labels.len() as f64;
    (loss / n, correct as f64 / n)
}

/// A way to train an MNIST classifier.
pub trait Backend: Send + Sync {
    /// Short name used on the command line and in reports, e.g. `scratch`.
    fn name(&self) -> &str;

    /// One-line description of the model, e.g. `MLP 784-128-10, ReLU, SGD`.
    fn model(&self) -> String;

    /// The hyperparameters this backend trains with unless told otherwise.
    fn defaults(&self) -> Hyperparams;

    /// Trains and returns the fitted model, reporting every epoch to `observer`.
    fn train(
        &self,
        hp: &ValidHyperparams,
        data: &TrainData<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Box<dyn FittedModel>, TrainError>;

    /// Validates hyperparameters; backends with extra requirements extend this.
    fn check(&self, hp: Hyperparams) -> Result<ValidHyperparams, ConfigError> {
        hp.check()
    }

    /// What a history point counts.
    fn history_unit(&self) -> HistoryUnit {
        HistoryUnit::Epoch
    }

    /// Backend-specific settings, recorded with each run (e.g. device, float type).
    fn settings(&self) -> BTreeMap<String, String> {
        BTreeMap::new()
    }

    /// Why this backend, as configured, cannot train without a validation set (e.g. its early
    /// stopping watches the validation loss), or `None` when it can. A comparison whose split
    /// holds no validation set out refuses it with this reason before anything trains.
    fn needs_validation(&self) -> Option<String> {
        None
    }

    /// Sentences a reader of a report needs about how this backend trains or is measured (e.g.
    /// that its training accuracy is taken with dropout on), each naming the backend. Recorded
    /// with each run, so that a report says them only when this backend ran.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }

    /// The Python twins that train this model as configured, for `bench --reference`: each
    /// one's arguments mirror the settings that shape the model. An error is one line naming a
    /// setting no twin can mirror; none by default.
    fn twins(&self) -> Result<Vec<Twin>, String> {
        Ok(Vec::new())
    }

    /// Reads back the model that [`FittedModel::save`] wrote into `dir` from a model of a backend
    /// built with these settings. An error names the file and what is wrong (a missing file,
    /// weights of another shape).
    fn load(&self, dir: &Path) -> Result<Box<dyn FittedModel>, TrainError> {
        Err(TrainError::Backend(format!(
            "{}: {} cannot load saved models",
            dir.display(),
            self.name()
        )))
    }

    /// A counter of the work done training on `train` (e.g. FLOPs, or products answered from
    /// memory), for `bench`'s printout; none by default.
    fn work_meter(&self, _train: &Dataset) -> Option<Box<dyn WorkMeter>> {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loss_and_accuracy_of_known_probabilities() {
        let mut proba = vec![0.0f32; 20];
        proba[2] = 1.0; // image 0: certain of class 2, right
        proba[10] = 0.5; // image 1: torn between 0 and 1, label 1: wrong (first max wins)
        proba[11] = 0.5;
        let (loss, acc) = loss_and_accuracy(&proba, &[2, 1]);
        assert_eq!(acc, 0.5);
        assert!((loss - 0.5f64.ln().abs() / 2.0).abs() < 1e-6, "{loss}");
        let (loss, _) = loss_and_accuracy(&proba, &[3, 1]);
        assert!(loss.is_finite() && loss > 7.0);
    }

    #[test]
    fn the_validation_pass_scores_the_validation_set_only_when_there_is_one() {
        let train = mnist_data::synth::separable(4, 1);
        let validation = mnist_data::synth::separable(2, 2);
        let labels = validation.labels().to_vec();
        // Certain of the right class for the first image, of a wrong one for the second.
        let proba: Vec<f32> = labels
            .iter()
            .enumerate()
            .flat_map(|(i, &l)| {
                let pick = if i == 0 { l } else { (l + 1) % 10 };
                (0..10u8).map(move |c| if c == pick { 1.0 } else { 0.0 })
            })
            .collect();
        let with = TrainData {
            train: &train,
            validation: Some(&validation),
        };
        let (loss, accuracy) = with.validate(|_| Ok(proba.clone())).unwrap();
        assert_eq!(accuracy, Some(0.5));
        assert!(loss.unwrap() > 1.0);
        let without = TrainData {
            train: &train,
            validation: None,
        };
        let called = std::cell::Cell::new(false);
        let none = without
            .validate(|_| {
                called.set(true);
                Ok(Vec::new())
            })
            .unwrap();
        assert_eq!(none, (None, None));
        assert!(!called.get());
    }

    #[test]
    fn argmax_takes_the_first_maximum() {
        let mut proba = vec![0.0f32; 20];
        proba[3] = 0.9;
        proba[10 + 7] = 0.5;
        proba[10 + 8] = 0.5;
        assert_eq!(argmax_rows(&proba), vec![3, 7]);
    }
}
