//! The contract between the comparison and its backends: validated hyperparameters, the
//! [`Backend`] and [`FittedModel`] traits, the runner that turns a training run into a
//! [`RunRecord`], the settings each backend declares ([`settings`]), the benchmark it declares
//! ([`benchmark`]: workloads, Python twins, work counters), and the conformance suite every
//! backend crate runs.
//!
//! This crate knows nothing of any particular backend, of files or of reports.

pub mod backend;
pub mod benchmark;
pub mod config;
pub mod conformance;
pub mod deploy;
pub mod malloc;
pub mod run;
pub mod settings;
pub mod weights;

pub use backend::{
    Backend, EpochStats, FittedModel, HistoryUnit, Observer, Quiet, TrainData, TrainError, argmax,
    argmax_rows, diverged, loss_and_accuracy,
};
pub use benchmark::{Feature, Twin, Variant, WorkMeter, WorkSplit, WorkUnit, Workload};
pub use config::{ConfigError, Hyperparams, Overrides, ValidHyperparams};
pub use mnist_data;
pub use run::{Metrics, RunRecord, RunStatus, accuracy, prepare, run, run_keeping_model};
pub use settings::{
    Assignment, BackendFactory, SettingSpec, Settings, build_backends, feature_needed,
    needs_feature,
};
