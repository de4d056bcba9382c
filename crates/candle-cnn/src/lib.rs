//! The cnn's network and recipe in candle (`candle-cnn`): conv 3x3 (32) → ReLU → max-pool 2 →
//! conv 3x3 (64) → ReLU → max-pool 2 → dense 128 → ReLU → dropout 0.25 → dense 10, PyTorch's
//! default initialisation, Adam (lr 1e-3), batches of 64, the cnn's 7 epochs: the same network
//! as the burn `cnn` backend and the PyTorch twin, so that a report answers "burn or candle for a
//! small CNN?" on the same data, seeds and statistics.
//!
//! It runs candle as it ships by default: candle's own layers in the textbook order, subnormal
//! floats computed in full (`--set candle-cnn.flush=on` flushes them on every thread candle
//! computes on). Where it differs from the burn cnn: initial weights and dropout masks are drawn
//! from the run's seeded generator (candle's CPU generator cannot be seeded), so a seed gives
//! another draw than burn's, from the same distributions; no early stopping (burn's `patience`);
//! its convolutions are candle's (burn's tuned cnn computes them from columns of its own).
//!
//! What every candle backend shares comes from `candle-common`: the device, the training loop,
//! the `device` and `flush` settings. This crate holds the network ([`model`]) and declares its
//! benchmark ([`bench`]). It depends on `bench-core`, `candle-common`, `mnist-data` and candle,
//! never on burn or another backend; like `candle-mlp`, xtask builds it with its `candle`
//! feature only, and it is not in the default run.

pub mod bench;
pub mod model;

use std::collections::BTreeMap;
use std::path::Path;

use bench_core::denormals::Flush;
use bench_core::{
    Backend, BackendFactory, ConfigError, FittedModel, Hyperparams, Observer, SettingSpec,
    Settings, TrainData, TrainError, Twin, ValidHyperparams, Workload,
};
use candle_common::{CandleDevice, training};
use candle_core::{Device, Tensor};
use mnist_data::Dataset;

pub use model::Cnn;

/// The candle CNN backend.
#[derive(Debug, Clone, PartialEq)]
pub struct CandleCnnBackend {
    /// Where to run.
    pub device: CandleDevice,
    /// Dropout before the last layer.
    pub dropout: f64,
    /// Subnormal floats flushed to zero while it trains (off by default: candle as it ships).
    pub flush: Flush,
}

impl Default for CandleCnnBackend {
    fn default() -> Self {
        Self {
            device: CandleDevice::default(),
            dropout: 0.25,
            flush: candle_common::DEFAULT_FLUSH,
        }
    }
}

/// Builds [`CandleCnnBackend`] from its settings (`--set candle-cnn.flush=on`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CandleCnnFactory;

const SETTINGS: &[SettingSpec] = &[
    candle_common::DEVICE,
    bench_core::network::dropout_setting("dropout rate before the last layer, in [0, 1)", "0.25"),
    candle_common::FLUSH,
];

impl BackendFactory for CandleCnnFactory {
    fn name(&self) -> &'static str {
        "candle-cnn"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SETTINGS
    }

    fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
        Ok(Box::new(CandleCnnBackend {
            device: s.parse("device")?,
            dropout: bench_core::network::dropout(s)?,
            flush: s.parse("flush")?,
        }))
    }

    fn in_default_run(&self) -> bool {
        false
    }

    fn workloads(&self) -> &'static [Workload] {
        bench::WORKLOADS
    }
}

impl Backend for CandleCnnBackend {
    fn name(&self) -> &str {
        "candle-cnn"
    }

    fn model(&self) -> String {
        format!(
            "CNN conv3x3(32)-pool-conv3x3(64)-pool-128-10, ReLU, dropout {}; Adam (candle, {})",
            self.dropout, self.device
        )
    }

    /// The burn cnn's recipe, its seven epochs included (chosen on validation loss:
    /// docs/defaults.md), so that the two frameworks train the same schedule.
    fn defaults(&self) -> Hyperparams {
        Hyperparams {
            seed: 0,
            epochs: 7,
            batch_size: Some(64),
            learning_rate: Some(1e-3),
        }
    }

    fn check(&self, hp: Hyperparams) -> Result<ValidHyperparams, ConfigError> {
        let valid = hp.check()?;
        valid.minibatch(self.name())?;
        bench_core::network::check_dropout(self.name(), self.dropout)?;
        Ok(valid)
    }

    fn settings(&self) -> BTreeMap<String, String> {
        let mut settings = BTreeMap::from([
            ("device".to_string(), self.device.to_string()),
            ("dropout".to_string(), self.dropout.to_string()),
            ("optimizer".to_string(), training::OPTIMIZER.to_string()),
        ]);
        settings.extend(candle_common::recorded(self.flush));
        settings
    }

    fn notes(&self) -> Vec<String> {
        let mut notes = Vec::new();
        if self.device == CandleDevice::Cpu {
            notes.push(candle_common::flush_note(self.name(), self.flush));
        }
        notes.push(
            "candle-cnn draws its initial weights and dropout masks from the run's seeded \
             generator (candle's CPU generator cannot be seeded): a seed gives another draw than \
             the burn cnn's, from the same distributions. It has no early stopping (burn's \
             patience setting) and computes its convolutions with candle's own kernels."
                .to_string(),
        );
        notes.push(
            "candle-cnn pools with candle's max_pool2d, whose backward pass (candle 0.11.1) \
             passes back a quarter of the true gradient at a window's single maximum \
             (crates/candle-cnn/tests/gradients.rs): both of its convolutions train on those \
             gradients, and the burn cnn's do not (docs/cnn.md)."
                .to_string(),
        );
        notes.push(bench_core::network::dropout_curves_note(
            self.name(),
            self.dropout,
            false,
        ));
        notes
    }

    fn twins(&self) -> Result<Vec<Twin>, String> {
        Ok(vec![bench_core::benchmark::cnn_twin(self.dropout)])
    }

    fn train(
        &self,
        hp: &ValidHyperparams,
        data: &TrainData<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Box<dyn FittedModel>, TrainError> {
        let (batch_size, learning_rate) = hp.minibatch(self.name())?;
        let opts = training::Options {
            epochs: hp.get().epochs,
            batch_size,
            learning_rate,
            seed: hp.get().seed,
            dropout: self.dropout,
            flush: self.flush,
        };
        let device = self.device.device()?;
        let build = |init: &mut mnist_data::Rng| Cnn::new(init, &device);
        let model = training::train(&device, data, &opts, build, observer)?;
        Ok(Box::new(FittedCandleCnn { model, device }))
    }

    fn load(&self, dir: &Path) -> Result<Box<dyn FittedModel>, TrainError> {
        let device = self.device.device()?;
        let model = Cnn::load(&dir.join(WEIGHTS_FILE), &device)?;
        Ok(Box::new(FittedCandleCnn { model, device }))
    }
}

/// The weights file in a saved model's folder.
pub const WEIGHTS_FILE: &str = "weights.safetensors";

/// A trained candle CNN.
#[derive(Debug)]
pub struct FittedCandleCnn {
    model: Cnn<Tensor>,
    device: Device,
}

impl FittedModel for FittedCandleCnn {
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError> {
        training::predict_proba(&self.model, images, &self.device)
    }

    fn param_count(&self) -> usize {
        self.model.param_count()
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        self.model.save(&dir.join(WEIGHTS_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Hyperparams {
        Hyperparams {
            epochs: 3,
            learning_rate: Some(3e-3),
            ..CandleCnnBackend::default().defaults()
        }
    }

    bench_core::conformance_suite!(CandleCnnBackend::default(), quick());

    fn built_with(assignment: &str) -> Result<Vec<Box<dyn Backend>>, ConfigError> {
        let factories: Vec<Box<dyn BackendFactory>> = vec![Box::new(CandleCnnFactory)];
        bench_core::build_backends(&factories, &[assignment.parse().unwrap()], &["candle-cnn"])
    }

    #[test]
    fn settings_reach_the_backend_and_bad_values_name_the_setting() {
        let built = built_with("candle-cnn.dropout=0.5").unwrap();
        assert!(
            built[0].model().contains("dropout 0.5"),
            "{}",
            built[0].model()
        );
        assert_eq!(built[0].twins().unwrap()[0].args, ["--dropout", "0.5"]);
        let flushing = built_with("candle-cnn.flush=on").unwrap();
        assert_eq!(flushing[0].settings()["flush"], "on");
        assert!(flushing[0].notes()[0].contains("flushes subnormal floats"));
        assert!(!CandleCnnBackend::default().settings().contains_key("flush"));
        for bad in [
            "candle-cnn.dropout=1",
            "candle-cnn.device=tpu",
            "candle-cnn.flush=yes",
        ] {
            let err = built_with(bad).err().unwrap().to_string();
            assert!(
                err.starts_with(&format!("--set {}:", bad.split('=').next().unwrap())),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_damaged_or_missing_saved_model_is_an_error_naming_the_file() {
        // The round trip itself is the conformance suite's (saved_model_reloads_identically).
        let backend = CandleCnnBackend::default();
        let tmp = tempfile::tempdir().unwrap();
        let err = backend.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(WEIGHTS_FILE), "{err}");
        std::fs::write(tmp.path().join(WEIGHTS_FILE), b"not a model").unwrap();
        let err = backend.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(WEIGHTS_FILE), "{err}");
        // A file of another network (the first layer only, as another shape).
        let path = tmp.path().join(WEIGHTS_FILE);
        let other = [0.0f32; 4];
        bench_core::weights::write(
            &path,
            &[(
                "conv1.weight",
                vec![2, 2],
                bench_core::weights::Values::F32(&other),
            )],
        )
        .unwrap();
        let err = backend.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(WEIGHTS_FILE), "{err}");
    }
}
