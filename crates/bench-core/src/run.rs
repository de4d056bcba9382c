//! Running a backend on a split and recording the outcome, success or failure.
//!
//! The runner owns the protocol: hyperparameters are checked before anything trains; the test set
//! is touched once, after training; a backend that errors, panics, diverges or ends at chance level
//! yields a failed record with the reason instead of taking the whole comparison down.

use std::collections::BTreeMap;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::time::Instant;

use mnist_data::{Dataset, N_CLASSES, Split};
use serde::{Deserialize, Serialize};

use crate::backend::{
    Backend, EpochStats, FittedModel, HistoryUnit, Observer, TrainData, TrainError, argmax_rows,
};
use crate::config::{ConfigError, Hyperparams, ValidHyperparams};

/// Whether a run produced a usable model.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "state", rename_all = "lowercase")]
pub enum RunStatus {
    /// Trained and evaluated.
    Ok,
    /// No usable model; `reason` says why.
    Failed {
        /// What went wrong, in one line.
        reason: String,
    },
}

/// Final metrics of a successful run.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Metrics {
    /// Accuracy on the whole training set after training.
    pub train_accuracy: f64,
    /// Accuracy on the validation set after training, if one was held out.
    pub validation_accuracy: Option<f64>,
    /// Accuracy on the test set, measured once.
    pub test_accuracy: f64,
    /// Wall-clock seconds spent in training (per-epoch validation included).
    pub training_seconds: f64,
    /// Test images classified per second.
    pub predictions_per_second: f64,
    /// Trainable parameters.
    pub param_count: usize,
    /// Latency, throughput and training memory ([`crate::deploy`]); absent in results written
    /// before they were measured.
    #[serde(default)]
    pub deployment: Option<crate::deploy::Deployment>,
    /// Predicted class of each test image, in test-set order.
    pub test_predictions: Vec<u8>,
    /// Class probabilities of each test image (`n x 10`); kept in memory for the report, not saved.
    #[serde(skip)]
    pub test_probabilities: Vec<f32>,
}

/// Everything about one backend's run with one seed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct RunRecord {
    /// Backend name.
    pub backend: String,
    /// Model description.
    pub model: String,
    /// The hyperparameters trained with.
    pub hyperparams: Hyperparams,
    /// Backend-specific settings.
    pub settings: BTreeMap<String, String>,
    /// The split protocol.
    pub split: String,
    /// What a history point counts.
    pub history_unit: HistoryUnit,
    /// One entry per epoch (or iteration budget).
    pub history: Vec<EpochStats>,
    /// Ok or failed.
    pub status: RunStatus,
    /// Present when the status is ok.
    pub metrics: Option<Metrics>,
    /// What a reader needs to know about this backend's numbers ([`Backend::notes`]).
    #[serde(default)]
    pub notes: Vec<String>,
}

impl RunRecord {
    /// Whether the run succeeded.
    pub fn is_ok(&self) -> bool {
        self.status == RunStatus::Ok
    }
}

/// Below this training accuracy a model is no better than guessing a few classes: twice chance.
/// The check reads the training set, never the test set, so that the test set decides nothing,
/// not even which runs enter the aggregates.
pub const MIN_USEFUL_ACCURACY: f64 = 2.0 / N_CLASSES as f64;

/// Checks `hp` for `backend`: the one place where invalid configurations stop, before training.
pub fn prepare(backend: &dyn Backend, hp: Hyperparams) -> Result<ValidHyperparams, ConfigError> {
    backend.check(hp)
}

/// Trains `backend` on `split`, evaluates it and records the outcome. Never panics because of the
/// backend: errors, panics, divergence and chance-level models become failed records.
pub fn run(
    backend: &dyn Backend,
    hp: &ValidHyperparams,
    split: &Split,
    observer: &mut dyn Observer,
) -> RunRecord {
    run_keeping_model(backend, hp, split, observer).0
}

/// [`run`], also handing back the fitted model of a successful run (e.g. to save it).
pub fn run_keeping_model(
    backend: &dyn Backend,
    hp: &ValidHyperparams,
    split: &Split,
    observer: &mut dyn Observer,
) -> (RunRecord, Option<Box<dyn FittedModel>>) {
    let mut recorder = Recorder {
        inner: observer,
        history: Vec::new(),
    };
    let outcome = train_and_evaluate(backend, hp, split, &mut recorder);
    let history = recorder.history;
    let (status, metrics, model) = match outcome {
        Ok((m, model)) => (RunStatus::Ok, Some(m), Some(model)),
        Err(reason) => (RunStatus::Failed { reason }, None, None),
    };
    let record = RunRecord {
        backend: backend.name().to_string(),
        model: backend.model(),
        hyperparams: *hp.get(),
        settings: backend.settings(),
        split: split.spec.kind.name().to_string(),
        history_unit: backend.history_unit(),
        history,
        status,
        metrics,
        notes: backend.notes(),
    };
    (record, model)
}

fn train_and_evaluate(
    backend: &dyn Backend,
    hp: &ValidHyperparams,
    split: &Split,
    recorder: &mut Recorder<'_>,
) -> Result<(Metrics, Box<dyn FittedModel>), String> {
    let data = TrainData {
        train: &split.train,
        validation: (!split.validation.is_empty()).then_some(&split.validation),
    };
    let rss_before_training_bytes = crate::deploy::reset_peak_memory();
    let started = Instant::now();
    let fitted = guarded(|| backend.train(hp, &data, recorder))?;
    let training_seconds = started.elapsed().as_secs_f64();
    let peak_training_rss_bytes = rss_before_training_bytes.and(crate::deploy::peak_memory());
    if let Some(bad) = recorder
        .history
        .iter()
        .find(|s| crate::backend::diverged(s.train_loss))
    {
        return Err(TrainError::Diverged {
            step: bad.step,
            loss: bad.train_loss,
        }
        .to_string());
    }

    let model = fitted.as_ref();
    let train_accuracy = evaluate(model, &split.train)?.0;
    if train_accuracy < MIN_USEFUL_ACCURACY {
        return Err(format!(
            "model is at chance level: training accuracy {:.2}% (below {:.0}%)",
            100.0 * train_accuracy,
            100.0 * MIN_USEFUL_ACCURACY
        ));
    }
    let validation_accuracy = match data.validation {
        Some(v) => Some(evaluate(model, v)?.0),
        None => None,
    };
    // The one place the test set is scored: once, after training and after every check of the
    // model that does not need it. Nothing above this line sees it; what can still fail the run
    // here is the model itself (a panic, or probabilities that are not finite or miss images).
    let started = Instant::now();
    let (test_accuracy, test_probabilities) = evaluate(model, &split.test)?;
    let predictions_per_second =
        split.test.len() as f64 / started.elapsed().as_secs_f64().max(1e-9);
    // What using the model costs, timed on test images after they were scored (timing reads their
    // pixels, no label, and changes no score). A model that fails here keeps its scores, without
    // the figures.
    let measuring = Instant::now();
    let timed =
        guarded(|| crate::deploy::measure(model, &split.test).map_err(TrainError::Backend)).ok();
    let metrics = Metrics {
        train_accuracy,
        validation_accuracy,
        test_accuracy,
        training_seconds,
        predictions_per_second,
        deployment: timed.map(
            |(
                latency_median_seconds,
                latency_p99_seconds,
                latency_images,
                throughput_per_second,
            )| {
                crate::deploy::Deployment {
                    latency_median_seconds,
                    latency_p99_seconds,
                    latency_images,
                    throughput_per_second,
                    peak_training_rss_bytes,
                    rss_before_training_bytes,
                    measuring_seconds: measuring.elapsed().as_secs_f64(),
                }
            },
        ),
        param_count: model.param_count(),
        test_predictions: argmax_rows(&test_probabilities),
        test_probabilities,
    };
    Ok((metrics, fitted))
}

/// Accuracy and probabilities of `model` on `data`; non-finite probabilities are an error.
fn evaluate(model: &dyn FittedModel, data: &Dataset) -> Result<(f64, Vec<f32>), String> {
    let proba = guarded(|| model.predict_proba(data))?;
    if proba.len() != data.len() * N_CLASSES {
        return Err(format!(
            "predict_proba returned {} values for {} images",
            proba.len(),
            data.len()
        ));
    }
    if proba.iter().any(|p| !p.is_finite()) {
        return Err("model predicts non-finite probabilities".to_string());
    }
    Ok((accuracy(&argmax_rows(&proba), data.labels()), proba))
}

/// Runs `f`, turning both its error and a panic inside it into a one-line reason.
fn guarded<T>(f: impl FnOnce() -> Result<T, TrainError>) -> Result<T, String> {
    match catch_unwind(AssertUnwindSafe(f)) {
        Ok(result) => result.map_err(|e| e.to_string()),
        Err(payload) => {
            let msg = payload
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| payload.downcast_ref::<String>().cloned())
                .unwrap_or_else(|| "unknown panic payload".to_string());
            Err(format!("panicked: {msg}"))
        }
    }
}

/// Fraction of `predictions` equal to `labels`.
pub fn accuracy(predictions: &[u8], labels: &[u8]) -> f64 {
    if labels.is_empty() {
        return 0.0;
    }
    let correct = predictions
        .iter()
        .zip(labels)
        .filter(|(p, l)| p == l)
        .count();
    correct as f64 / labels.len() as f64
}

struct Recorder<'a> {
    inner: &'a mut dyn Observer,
    history: Vec<EpochStats>,
}

impl Observer for Recorder<'_> {
    fn epoch(&mut self, stats: &EpochStats) {
        self.history.push(stats.clone());
        self.inner.epoch(stats);
    }

    fn batch(&mut self, done: usize, total: usize) {
        self.inner.batch(done, total);
    }

    fn cancelled(&self) -> bool {
        self.inner.cancelled()
    }
}
