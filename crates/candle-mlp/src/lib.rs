//! The burn MLP's recipe in candle (Hugging Face's Rust ML framework): Dense 128 ReLU, Dropout
//! 0.2, Dense 64 ReLU, Dropout 0.2, Dense 10, softmax cross-entropy, Adam (lr 1e-3, β1 0.9,
//! β2 0.999, ε 1e-7), batches of 32, 20 epochs, reshuffled every epoch with the run's seed;
//! validation and test with dropout off. It is the second framework beside burn, so that a
//! report answers "burn or candle?" on the same model, data, seeds and statistics.
//!
//! Where it differs from the burn backend: initial weights (Glorot-uniform, zero biases, as
//! burn's) and dropout masks are drawn from the run's seeded generator and handed to candle,
//! since candle's CPU random generator cannot be seeded; so the same seed gives another draw
//! than burn's, from the same distributions. No early stopping (burn's `patience`). Subnormal
//! floats are computed in full unless `--set candle.flush=on` (burn flushes them by default).
//!
//! What every candle backend shares comes from `candle-common`: the device ([`CandleDevice`],
//! chosen at run time: the CPU always; CUDA and Metal behind this crate's `cuda` and `metal`
//! cargo features, which xtask's features of those names forward), the training loop and the
//! `flush` setting. The crate is an optional dependency of xtask (its `candle` feature), so the
//! tool's default build (`cargo xtask`) does not compile candle, nor does the README's test
//! command (`--exclude 'candle-*'`); CI tests it,
//! and the command line with it, in a step of its own (`.ci/run`).
//! It depends on `bench-core`, `candle-common`, `mnist-data` and candle, never on burn or another
//! backend. Batches are shuffled from the run's seed as burn's are, but from a stream of candle's
//! own, so the batch order differs from burn's too.
//!
//! Layout: [`model`] (the network, its weights file); [`bench`] declares its benchmark and
//! twins.

pub mod bench;
pub mod model;

use std::collections::BTreeMap;
use std::path::Path;

use bench_core::denormals::Flush;
use bench_core::network::{DROPOUT_AFTER_HIDDEN, dropout_setting, hidden_setting};
use bench_core::{
    Backend, BackendFactory, ConfigError, FittedModel, Hyperparams, Observer, SettingSpec,
    Settings, TrainData, TrainError, Twin, ValidHyperparams, Workload,
};
use candle_common::training;
use candle_core::{Device, Tensor};
use mnist_data::Dataset;

pub use candle_common::CandleDevice;
pub use model::{Mlp, MlpShape};

/// The candle backend.
#[derive(Debug, Clone, PartialEq)]
pub struct CandleBackend {
    /// Where to run.
    pub device: CandleDevice,
    /// The network.
    pub shape: MlpShape,
    /// Subnormal floats flushed to zero while it trains (off by default: candle as it ships).
    pub flush: Flush,
}

impl Default for CandleBackend {
    fn default() -> Self {
        Self {
            device: CandleDevice::default(),
            shape: MlpShape {
                hidden: vec![128, 64],
                dropout: 0.2,
            },
            flush: candle_common::DEFAULT_FLUSH,
        }
    }
}

/// Builds [`CandleBackend`] from its settings (`--set candle.hidden=256,128`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CandleFactory;

const SETTINGS: &[SettingSpec] = &[
    candle_common::DEVICE,
    hidden_setting("128,64"),
    dropout_setting(DROPOUT_AFTER_HIDDEN, "0.2"),
    candle_common::FLUSH,
];

impl BackendFactory for CandleFactory {
    fn name(&self) -> &'static str {
        "candle"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SETTINGS
    }

    fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
        let dropout = bench_core::network::dropout(s)?;
        Ok(Box::new(CandleBackend {
            device: s.parse("device")?,
            shape: MlpShape {
                hidden: s.widths("hidden")?,
                dropout,
            },
            flush: s.parse("flush")?,
        }))
    }

    fn workloads(&self) -> &'static [Workload] {
        bench::WORKLOADS
    }
}

impl Backend for CandleBackend {
    fn name(&self) -> &str {
        "candle"
    }

    fn model(&self) -> String {
        let hidden: Vec<String> = self.shape.hidden.iter().map(usize::to_string).collect();
        format!(
            "MLP 784-{}-10, ReLU, dropout {}; Adam (candle, {})",
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
        if self.shape.dropout > 0.0 {
            notes.push(bench_core::network::dropout_curves_note(
                self.name(),
                self.shape.dropout,
                true,
            ));
        }
        notes
    }

    fn twins(&self) -> Result<Vec<Twin>, String> {
        Ok(self.python_twins())
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
            dropout: self.shape.dropout,
            flush: self.flush,
        };
        let device = self.device.device()?;
        let build = |init: &mut mnist_data::Rng| Mlp::new(&self.shape, init, &device);
        let model = training::train(&device, data, &opts, build, observer)?;
        Ok(Box::new(FittedCandle { model, device }))
    }

    fn load(&self, dir: &Path) -> Result<Box<dyn FittedModel>, TrainError> {
        let device = self.device.device()?;
        let model = Mlp::load(&dir.join(WEIGHTS_FILE), &self.shape, &device)?;
        Ok(Box::new(FittedCandle { model, device }))
    }
}

/// The weights file in a saved model's folder.
pub const WEIGHTS_FILE: &str = "weights.safetensors";

/// A trained candle MLP.
#[derive(Debug)]
pub struct FittedCandle {
    model: Mlp<Tensor>,
    device: Device,
}

impl FittedModel for FittedCandle {
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
            ..CandleBackend::default().defaults()
        }
    }

    bench_core::conformance_suite!(CandleBackend::default(), quick());

    fn built_with(assignment: &str) -> Result<Vec<Box<dyn Backend>>, ConfigError> {
        let factories: Vec<Box<dyn BackendFactory>> = vec![Box::new(CandleFactory)];
        bench_core::build_backends(&factories, &[assignment.parse().unwrap()], &["candle"])
    }

    #[test]
    fn settings_reach_the_network_and_bad_values_name_the_setting() {
        let built = built_with("candle.hidden=32").unwrap();
        assert_eq!(
            built[0].model(),
            "MLP 784-32-10, ReLU, dropout 0.2; Adam (candle, cpu)"
        );
        let with_dropout = |b: &dyn Backend| b.notes().iter().any(|n| n.contains("dropout"));
        assert!(with_dropout(
            built_with("candle.dropout=0.5").unwrap()[0].as_ref()
        ));
        assert!(!with_dropout(
            built_with("candle.dropout=0").unwrap()[0].as_ref()
        ));
        let flushing = built_with("candle.flush=on").unwrap();
        assert_eq!(flushing[0].settings()["flush"], "on");
        assert!(!CandleBackend::default().settings().contains_key("flush"));
        for bad in [
            "candle.dropout=1",
            "candle.hidden=0",
            "candle.device=tpu",
            "candle.flush=yes",
        ] {
            let err = built_with(bad).err().unwrap().to_string();
            assert!(
                err.starts_with(&format!("--set {}:", bad.split('=').next().unwrap())),
                "{bad}: {err}"
            );
        }
    }

    #[test]
    fn a_damaged_or_mismatched_saved_model_is_an_error_naming_the_file() {
        // The round trip itself is the conformance suite's (saved_model_reloads_identically).
        let backend = CandleBackend::default();
        let split = bench_core::conformance::synthetic_split(3);
        let hp = bench_core::prepare(&backend, quick()).unwrap();
        let data = TrainData {
            train: &split.train,
            validation: None,
        };
        let model = backend.train(&hp, &data, &mut bench_core::Quiet).unwrap();
        let tmp = tempfile::tempdir().unwrap();
        model.save(tmp.path()).unwrap();
        let wider = &built_with("candle.hidden=32").unwrap()[0];
        let err = wider.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(WEIGHTS_FILE), "{err}");
        std::fs::write(tmp.path().join(WEIGHTS_FILE), b"not a model").unwrap();
        let err = backend.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(WEIGHTS_FILE), "{err}");
        std::fs::remove_file(tmp.path().join(WEIGHTS_FILE)).unwrap();
        let err = backend.load(tmp.path()).err().unwrap().to_string();
        assert!(err.contains(WEIGHTS_FILE), "{err}");
    }
}
