//! The contract between the comparison and its backends: validated hyperparameters, the
//! [`Backend`] and [`FittedModel`] traits, the runner that turns a training run into a
//! [`RunRecord`], the settings each backend declares ([`settings`]), the benchmark it declares
//! ([`benchmark`]: workloads, Python twins, work counters), and the conformance suite every
//! backend crate runs.
//!
//! This crate knows nothing of any particular backend or of reports, and depends on no workspace
//! crate but `mnist-data` (never on a backend, polars or plotters); the only files it reads and
//! writes are a saved model's weights ([`weights`]) and its manifest, `model.json`
//! ([`manifest`]).
//!
//! Layout: [`config`] (`Hyperparams::check` gives `ValidHyperparams`: nothing unchecked reaches
//! training); [`backend`] (the traits, [`TrainData`] with [`TrainData::validate`], the one
//! per-epoch validation pass every backend makes, the [`Observer`] that hears every epoch and can
//! cancel, and divergence); [`settings`] ([`build_backends`], which checks every `--set` value
//! and builds every backend that will run or was given a setting before anything trains;
//! `Settings::widths`, the one check of layer widths; `Settings::invalid`, which names the
//! `--set` that gave a bad value, or says that it is the backend's default when nobody set it);
//! [`benchmark`] (including the PyTorch and Keras twins every dropout MLP backend shares);
//! [`network`] (what every neural-network backend shares whatever its framework: the `hidden`
//! and `dropout` settings, device names, prediction in chunks);
//! [`run`](mod@run) (the runner); [`deploy`] (what a model costs to use); [`weights`];
//! [`conformance`]; [`denormals`] (the flush-to-zero guard and the `flush` setting both
//! frameworks' shared crates use); [`malloc`] (the allocator setting the binaries apply before they start a
//! thread, named in every report's and benchmark's build line).
//!
//! # The test set decides nothing
//! A backend's `train` receives [`TrainData`], which holds a training and a validation set and no
//! test set, so no epoch count, early stop or other choice a backend makes can see it. The runner
//! reads the test set once, after training and after every check of the model that does not need
//! it; only a model that panics or returns non-finite or missing probabilities on it still fails
//! there. The deployment figures then time predictions on its images, which changes no score. The
//! chance-level check that fails a run reads the training accuracy. A [`RunRecord`] is `ok` with
//! metrics or `failed` with a reason; a loss that is non-finite or above
//! `backend::DIVERGED_LOSS` (1e4 nats) is divergence, for every backend alike.

pub mod backend;
pub mod benchmark;
pub mod config;
pub mod conformance;
pub mod denormals;
pub mod deploy;
pub mod malloc;
pub mod manifest;
pub mod network;
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
