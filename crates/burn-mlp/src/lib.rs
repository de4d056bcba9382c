//! The notebook's Keras network in burn: Dense 128 ReLU, Dropout 0.2, Dense 64 ReLU, Dropout 0.2,
//! Dense 10, softmax cross-entropy, Adam (lr 1e-3), batches of 32, 20 epochs, reshuffled every
//! epoch with the run's seed; validation and test run with dropout off.
//!
//! The burn device is chosen at run time ([`BurnDevice`], from `burn-common`) among those
//! compiled in: the `burn-ndarray` CPU backend, always, and the default (the one the project was
//! specified with); Flex, burn's newer pure-Rust CPU backend, behind the `flex` cargo feature;
//! GPU devices behind the `cuda` and `wgpu` features. Each extra device adds minutes to a cold
//! build (Flex: as long again as the default build; docs/building.md), so the default build has
//! ndarray alone; naming a device that is not compiled in is an error naming the feature that
//! brings it.
//!
//! This crate owns the network ([`model`]) and the backend built on it; [`bench`] declares its
//! benchmark and twins. What every burn backend shares comes from `burn-common`: the devices,
//! the training loop, early stopping (`--set burn.patience=N`, off by default), the guard that
//! flushes subnormal floats while burn trains (the `flush` setting, on unless set to off;
//! `tests/flush_on_workers.rs` reads the flag on rayon's workers during and after a training),
//! saved records and the training lock.

pub mod bench;
pub mod model;

use std::collections::BTreeMap;
use std::path::Path;

use bench_core::network::{DROPOUT_AFTER_HIDDEN, dropout_setting, hidden_setting};
use bench_core::{
    Backend, BackendFactory, ConfigError, FittedModel, Hyperparams, Observer, SettingSpec,
    Settings, TrainData, TrainError, Twin, ValidHyperparams, Workload,
};
use burn::module::Module;
use burn_common::denormals::Flush;
use burn_common::{
    BurnDevice, MODEL_FILE, PATIENCE, patience_needs_validation, patience_note, patience_setting,
    patience_value, training,
};
use mnist_data::Dataset;

pub use model::{Mlp, MlpShape};

/// The burn backend.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnBackend {
    /// Where to run.
    pub device: BurnDevice,
    /// The network.
    pub shape: MlpShape,
    /// Early stopping on the validation loss (off by default, as in the notebook's recipe).
    pub patience: Option<usize>,
    /// Subnormal floats flushed to zero while it trains (on by default; off: burn as it ships).
    pub flush: Flush,
}

impl Default for BurnBackend {
    fn default() -> Self {
        Self {
            device: BurnDevice::default(),
            shape: MlpShape {
                hidden: vec![128, 64],
                dropout: 0.2,
            },
            patience: None,
            flush: burn_common::denormals::DEFAULT_FLUSH,
        }
    }
}

/// Builds [`BurnBackend`] from its settings (`--set burn.device=flex`).
#[derive(Debug, Clone, Copy, Default)]
pub struct BurnFactory;

const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        name: "device",
        help: "ndarray (CPU); flex (faster CPU), cuda and wgpu with the cargo features of those \
               names",
        default: "ndarray",
    },
    hidden_setting("128,64"),
    dropout_setting(DROPOUT_AFTER_HIDDEN, "0.2"),
    PATIENCE,
    burn_common::denormals::FLUSH,
];

impl BackendFactory for BurnFactory {
    fn name(&self) -> &'static str {
        "burn"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SETTINGS
    }

    fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
        let hidden = s.widths("hidden")?;
        let dropout = bench_core::network::dropout(s)?;
        Ok(Box::new(BurnBackend {
            device: s.parse("device")?,
            shape: MlpShape { hidden, dropout },
            patience: patience_setting(s)?,
            flush: s.parse("flush")?,
        }))
    }

    fn workloads(&self) -> &'static [Workload] {
        bench::WORKLOADS
    }
}

impl Backend for BurnBackend {
    fn name(&self) -> &str {
        "burn"
    }

    fn load(&self, dir: &Path) -> Result<Box<dyn FittedModel>, TrainError> {
        let model = FittedBurn::load(&dir.join(MODEL_FILE), &self.shape, self.device)?;
        Ok(Box::new(model))
    }

    fn model(&self) -> String {
        let hidden: Vec<String> = self.shape.hidden.iter().map(usize::to_string).collect();
        format!(
            "MLP 784-{}-10, ReLU, dropout {}; Adam (burn, {})",
            hidden.join("-"),
            self.shape.dropout,
            self.device
        )
    }

    fn defaults(&self) -> Hyperparams {
        Hyperparams {
            seed: 0,
            epochs: 20,
            batch_size: Some(32),
            learning_rate: Some(1e-3),
        }
    }

    fn check(&self, hp: Hyperparams) -> Result<ValidHyperparams, ConfigError> {
        let valid = hp.check()?;
        valid.minibatch(self.name())?;
        bench_core::network::check_shape(self.name(), &self.shape.hidden, self.shape.dropout)?;
        Ok(valid)
    }

    fn settings(&self) -> BTreeMap<String, String> {
        let mut settings = BTreeMap::from([
            ("device".to_string(), self.device.to_string()),
            ("dropout".to_string(), self.shape.dropout.to_string()),
            ("patience".to_string(), patience_value(self.patience)),
            ("optimizer".to_string(), training::OPTIMIZER.to_string()),
        ]);
        settings.extend(burn_common::denormals::recorded(self.flush));
        settings
    }

    fn needs_validation(&self) -> Option<String> {
        patience_needs_validation(self.name(), self.patience)
    }

    fn twins(&self) -> Result<Vec<Twin>, String> {
        Ok(self.python_twins())
    }

    fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = patience_note(self.name(), self.patience)
            .into_iter()
            .collect();
        if self.shape.dropout > 0.0 {
            notes.push(bench_core::network::dropout_curves_note(
                self.name(),
                self.shape.dropout,
                true,
            ));
        }
        notes
    }

    fn train(
        &self,
        hp: &ValidHyperparams,
        data: &TrainData<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Box<dyn FittedModel>, TrainError> {
        let (batch_size, learning_rate) = hp.minibatch(self.name())?;
        let opts = training::AdamOptions {
            epochs: hp.get().epochs,
            batch_size,
            learning_rate,
            seed: hp.get().seed,
            patience: self.patience,
            flush: self.flush,
        };
        let model = training::train(
            &self.device.device(),
            data,
            &opts,
            |device| Mlp::new(&self.shape, device),
            observer,
        )?;
        Ok(Box::new(FittedBurn { model }))
    }
}

/// A trained burn MLP, on its (non-autodiff) device.
#[derive(Debug)]
pub struct FittedBurn {
    model: Mlp,
}

impl FittedBurn {
    /// Writes the weights to a burnpack file.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        burn_common::save_record(&self.model, path)
    }

    /// Reads weights saved by [`FittedBurn::save`] into a network of `shape` on `device`.
    pub fn load(path: &Path, shape: &MlpShape, device: BurnDevice) -> Result<Self, TrainError> {
        let model = burn_common::load_record(Mlp::new(shape, &device.device()), path)?;
        Ok(Self { model })
    }
}

impl FittedModel for FittedBurn {
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError> {
        training::predict_proba(&self.model, images)
    }

    fn param_count(&self) -> usize {
        self.model.num_params()
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        FittedBurn::save(self, &dir.join(MODEL_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Hyperparams {
        Hyperparams {
            epochs: 3,
            learning_rate: Some(3e-3),
            ..BurnBackend::default().defaults()
        }
    }

    bench_core::conformance_suite!(BurnBackend::default(), quick());

    #[cfg(feature = "flex")]
    mod flex {
        use super::*;
        bench_core::conformance_suite!(
            BurnBackend {
                device: BurnDevice::Flex,
                ..BurnBackend::default()
            },
            quick()
        );
    }

    #[test]
    fn a_damaged_or_mismatched_saved_model_is_an_error_naming_the_file() {
        // The round trip itself is the conformance suite's (saved_model_reloads_identically).
        let backend = BurnBackend::default();
        let split = bench_core::conformance::synthetic_split(3);
        let hp = bench_core::prepare(&backend, quick()).unwrap();
        let data = TrainData {
            train: &split.train,
            validation: None,
        };
        let model = backend.train(&hp, &data, &mut bench_core::Quiet).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        model.save(tmp.path()).unwrap();
        // Weights of another shape: a backend built with other widths.
        let wider = &built_with("burn.hidden=32").unwrap()[0];
        let err = wider.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(MODEL_FILE), "{err}");
        // A file that is not a model is an error naming it, not a panic.
        std::fs::write(tmp.path().join(MODEL_FILE), b"not a model").unwrap();
        let err = backend.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(MODEL_FILE), "{err}");
    }

    fn built_with(assignment: &str) -> Result<Vec<Box<dyn Backend>>, ConfigError> {
        let factories: Vec<Box<dyn BackendFactory>> = vec![Box::new(BurnFactory)];
        bench_core::build_backends(&factories, &[assignment.parse().unwrap()], &["burn"])
    }

    #[test]
    fn patience_is_off_by_default_a_count_or_an_error_naming_the_setting() {
        assert_eq!(BurnBackend::default().patience, None);
        let built = built_with("burn.patience=3").unwrap();
        assert_eq!(built[0].settings()["patience"], "3");
        assert!(
            built[0].notes()[0].contains("3 epochs"),
            "{:?}",
            built[0].notes()
        );
        assert_eq!(
            built_with("burn.patience=off").unwrap()[0].settings()["patience"],
            "off"
        );
        for bad in ["burn.patience=0", "burn.patience=soon"] {
            let err = built_with(bad).err().unwrap().to_string();
            assert!(err.starts_with("--set burn.patience:"), "{bad}: {err}");
        }
    }

    #[test]
    fn early_stopping_keeps_the_epoch_with_the_lowest_validation_loss() {
        let backend = BurnBackend {
            patience: Some(2),
            ..BurnBackend::default()
        };
        let split = bench_core::conformance::synthetic_split(5);
        // A large step makes the validation loss move about, so that the best epoch is often
        // not the last; what must hold either way is below.
        let hp = Hyperparams {
            epochs: 10,
            learning_rate: Some(0.05),
            ..quick()
        };
        let hp = bench_core::prepare(&backend, hp).unwrap();
        let (record, model) =
            bench_core::run_keeping_model(&backend, &hp, &split, &mut bench_core::Quiet);
        assert!(record.is_ok(), "{:?}", record.status);
        let losses: Vec<f64> = record
            .history
            .iter()
            .map(|h| h.validation_loss.unwrap())
            .collect();
        let best = losses.iter().copied().fold(f64::INFINITY, f64::min);
        let at = losses.iter().position(|&l| l == best).unwrap();
        // It stops two epochs after its best one, or at the last epoch.
        assert!(losses.len() == 10 || losses.len() == at + 3, "{losses:?}");
        let proba = model.unwrap().predict_proba(&split.validation).unwrap();
        let (kept, _) = bench_core::loss_and_accuracy(&proba, split.validation.labels());
        assert!(
            (kept - best).abs() < 1e-9,
            "kept {kept}, best {best} of {losses:?}"
        );
    }

    #[test]
    fn early_stopping_without_a_validation_set_is_an_error_naming_the_flag() {
        let backend = BurnBackend {
            patience: Some(2),
            ..BurnBackend::default()
        };
        let split = bench_core::conformance::synthetic_split(3);
        let hp = bench_core::prepare(&backend, quick()).unwrap();
        let data = TrainData {
            train: &split.train,
            validation: None,
        };
        let err = match backend.train(&hp, &data, &mut bench_core::Quiet) {
            Err(e) => e.to_string(),
            Ok(_) => panic!("early stopping trained without a validation set"),
        };
        assert!(
            err.contains("--val-fraction") && err.contains("patience"),
            "{err}"
        );
    }
}
