//! A small convolutional network in burn, the fourth backend (`cnn`): conv 3x3 (32) → ReLU →
//! max-pool 2 → conv 3x3 (64) → ReLU → max-pool 2 → dense 128 → ReLU → dropout 0.25 → dense 10,
//! Adam (lr 1e-3), batches of 64, on images kept as 1x28x28: the shape of burn's and PyTorch's
//! own MNIST examples, to show how far a convolutional network goes beside the three MLP-class
//! models.
//!
//! What every burn backend shares comes from `burn-common`: the device choice ([`BurnDevice`]),
//! the training loop (seeding, subnormal flushing, per-epoch validation), evaluation, early
//! stopping, saved records, and the lock that has burn trainings in one process run one at a
//! time (`burn_common::training::train` holds the lock). [`bench`] declares its benchmark and twin. It is
//! slower than the MLPs, so a comparison runs it only when it is named (or with
//! `--backends all`).
//!
//! Its default device is Flex, which comes with the `flex` cargo feature (off in the default
//! build, whose cold compile it would lengthen by minutes; docs/building.md): without it, the
//! command line says to rebuild with the feature or to pick `--set cnn.device=ndarray`, many
//! times slower per epoch (docs/benchmarks.md, "Why each pair stands where it does"). Its training tests need the
//! feature too (`cargo test -p burn-cnn --features flex`, as CI runs them): on ndarray they would
//! take minutes.
//!
//! On Flex its convolutions are its own (`conv`, with the `flex` feature: a burn backend
//! extension, its backward pass written against `burn-autodiff`), and so is its 2x2 max-pool
//! (`pool`, which keeps each window's argmax for the backward pass; the feature adds
//! `burn-autodiff` and rayon); each block is convolution → max-pool → + bias → ReLU, and
//! [`Cnn::forward_reference`]
//! keeps burn's layers in the textbook order as the reference its tests hold it to ([`model`]).
//! Those are the tuned parts, with the flush guard: `--set cnn.conv=burn --set cnn.flush=off`
//! trains burn as it ships (its own layers, subnormals computed in full), as the `cnn flex, as
//! shipped` row of `bench cnn-epoch` does ([`bench`]).
//! `examples/conv_split.rs` (each convolution's forward pass and gradients on the cnn's shapes),
//! `examples/cnn_step.rs` (the training step three ways, alternated) and
//! `examples/step_split.rs` (each operation of the step alone, and its share) time them on Flex
//! (docs/cnn-cpu.md); they are part of no command.

pub mod bench;
#[cfg(feature = "flex")]
pub mod conv;
pub mod model;
#[cfg(feature = "flex")]
pub mod pool;

use std::collections::BTreeMap;
use std::path::Path;

use bench_core::{
    Backend, BackendFactory, ConfigError, FittedModel, Hyperparams, Observer, SettingSpec,
    Settings, TrainData, TrainError, Twin, ValidHyperparams, Workload,
};
use burn::module::Module;
use burn_common::{BurnDevice, MODEL_FILE, training};
use mnist_data::Dataset;

pub use model::{Cnn, ConvPath, Layers};

use burn_common::denormals::Flush;

/// The CNN backend.
#[derive(Debug, Clone, PartialEq)]
pub struct CnnBackend {
    /// Where to run.
    pub device: BurnDevice,
    /// Dropout before the last layer.
    pub dropout: f64,
    /// Early stopping on the validation loss (off by default).
    pub patience: Option<usize>,
    /// How the network is computed (the `conv` setting; `burn`: burn's own layers).
    pub layers: Layers,
    /// Subnormal floats flushed to zero while it trains (the `flush` setting).
    pub flush: Flush,
}

impl Default for CnnBackend {
    /// On Flex when it is compiled in (else ndarray): burn-ndarray computes a convolution's
    /// input gradient with a direct `conv_transpose2d` loop that indexes a dynamic-rank array
    /// per element, most of its epoch in a perf profile, which makes an epoch many times slower
    /// than on Flex (docs/benchmarks.md, "Why each pair stands where it does").
    fn default() -> Self {
        Self {
            device: BurnDevice::fastest_cpu(),
            dropout: 0.25,
            patience: None,
            layers: Layers::Columns,
            flush: burn_common::denormals::DEFAULT_FLUSH,
        }
    }
}

/// Builds [`CnnBackend`] from its settings (`--set cnn.device=flex`).
#[derive(Debug, Clone, Copy, Default)]
pub struct CnnFactory;

const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        name: "device",
        help: "flex (CPU; needs the flex cargo feature) or ndarray (CPU, always built, many \
               times slower on the cnn); cuda and wgpu with the cargo features of those names",
        default: "flex",
    },
    bench_core::network::dropout_setting("dropout rate before the last layer, in [0, 1)", "0.25"),
    burn_common::PATIENCE,
    SettingSpec {
        name: "conv",
        help: "columns: convolutions from columns and the cnn's own max-pool (on Flex), pooling \
               before bias and ReLU; burn: burn's own layers in the textbook order, as it ships",
        default: "columns",
    },
    burn_common::denormals::FLUSH,
];

impl BackendFactory for CnnFactory {
    fn name(&self) -> &'static str {
        "cnn"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SETTINGS
    }

    fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
        Ok(Box::new(CnnBackend {
            device: s.parse("device")?,
            dropout: bench_core::network::dropout(s)?,
            patience: burn_common::patience_setting(s)?,
            layers: s.parse("conv")?,
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

impl Backend for CnnBackend {
    fn load(&self, dir: &Path) -> Result<Box<dyn FittedModel>, TrainError> {
        let path = dir.join(MODEL_FILE);
        Ok(Box::new(FittedCnn::load(&path, self.device, self.layers)?))
    }

    fn name(&self) -> &str {
        "cnn"
    }

    fn model(&self) -> String {
        format!(
            "CNN conv3x3(32)-pool-conv3x3(64)-pool-128-10, ReLU, dropout {}; Adam (burn, {})",
            self.dropout, self.device
        )
    }

    /// Seven epochs: the epoch with the lowest validation loss, averaged over seeds 42 to 44, in
    /// 12 epochs on MNIST's standard split (0.0335 after 7; docs/defaults.md). The test set
    /// played no part in the choice.
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
        Ok(valid)
    }

    fn twins(&self) -> Result<Vec<Twin>, String> {
        Ok(vec![self.torch_twin()])
    }

    /// The `conv` and `flush` settings are recorded where they differ from their defaults only
    /// (`bench_core::denormals::flush_setting` says why).
    fn settings(&self) -> BTreeMap<String, String> {
        let mut settings = BTreeMap::from([
            ("device".to_string(), self.device.to_string()),
            ("dropout".to_string(), self.dropout.to_string()),
            (
                "patience".to_string(),
                burn_common::patience_value(self.patience),
            ),
            ("optimizer".to_string(), training::OPTIMIZER.to_string()),
        ]);
        if self.layers != Layers::Columns {
            settings.insert("conv".to_string(), self.layers.to_string());
        }
        settings.extend(burn_common::denormals::recorded(self.flush));
        settings
    }

    fn needs_validation(&self) -> Option<String> {
        burn_common::patience_needs_validation(self.name(), self.patience)
    }

    fn notes(&self) -> Vec<String> {
        let mut notes: Vec<String> = burn_common::patience_note(self.name(), self.patience)
            .into_iter()
            .collect();
        notes.push(bench_core::network::dropout_curves_note(
            self.name(),
            self.dropout,
            false,
        ));
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
            |device| Cnn::new(self.dropout, self.layers, device),
            observer,
        )?;
        Ok(Box::new(FittedCnn { model }))
    }
}

/// A trained CNN, on its (non-autodiff) device.
#[derive(Debug)]
pub struct FittedCnn {
    model: Cnn,
}

impl FittedCnn {
    /// Reads weights saved by [`FittedModel::save`] into a network on `device`, computed as
    /// `layers` says.
    pub fn load(path: &Path, device: BurnDevice, layers: Layers) -> Result<Self, TrainError> {
        let model = burn_common::load_record(Cnn::new(0.0, layers, &device.device()), path)?;
        Ok(Self { model })
    }
}

impl FittedModel for FittedCnn {
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError> {
        training::predict_proba(&self.model, images)
    }

    fn param_count(&self) -> usize {
        self.model.num_params()
    }

    fn save(&self, dir: &Path) -> Result<(), TrainError> {
        burn_common::save_record(&self.model, &dir.join(MODEL_FILE))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[cfg(feature = "flex")]
    fn quick() -> Hyperparams {
        Hyperparams {
            epochs: 3,
            learning_rate: Some(3e-3),
            ..CnnBackend::default().defaults()
        }
    }

    // On ndarray these would take minutes; CI runs them with the `flex` feature.
    #[cfg(feature = "flex")]
    bench_core::conformance_suite!(CnnBackend::default(), quick());

    #[test]
    fn a_damaged_saved_model_is_an_error_naming_the_file() {
        // The round trip itself is the conformance suite's (saved_model_reloads_identically).
        let backend = CnnBackend {
            device: BurnDevice::Ndarray,
            ..CnnBackend::default()
        };
        let tmp = tempfile::tempdir().unwrap();
        std::fs::write(tmp.path().join(MODEL_FILE), b"not a model").unwrap();
        let err = backend.load(tmp.path()).err().unwrap();
        assert!(err.to_string().contains("model.bpk"), "{err}");
        let missing = tempfile::tempdir().unwrap();
        let err = backend.load(missing.path()).err().unwrap();
        assert!(err.to_string().contains("model.bpk"), "{err}");
    }

    #[test]
    fn a_bad_setting_names_itself() {
        let mut settings = Settings::defaults("cnn", SETTINGS);
        // The default device needs the flex feature, and says so when it is missing.
        let built = CnnFactory.build(&settings).err().map(|e| e.to_string());
        if cfg!(feature = "flex") {
            assert_eq!(built, None);
        } else {
            let e = built.unwrap_or_default();
            assert!(
                e.starts_with(
                    "cnn.device is \"flex\" by default, which this build cannot use: the flex \
                     device is not compiled into this build; rebuild with the `flex` cargo feature"
                ),
                "{e}"
            );
        }
        let factories: Vec<Box<dyn BackendFactory>> = vec![Box::new(CnnFactory)];
        for (bad, expected) in [
            ("cnn.conv=fast", "expected columns or burn"),
            ("cnn.flush=yes", "expected on or off"),
        ] {
            let set = ["cnn.device=ndarray", bad].map(|a| a.parse().unwrap());
            let err = bench_core::build_backends(&factories, &set, &[])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            let name = bad.split('=').next().unwrap_or_default();
            assert!(err.starts_with(&format!("--set {name}:")), "{err}");
            assert!(err.contains(expected), "{err}");
        }
        let shipped =
            ["cnn.device=ndarray", "cnn.conv=burn", "cnn.flush=off"].map(|a| a.parse().unwrap());
        let built = bench_core::build_backends(&factories, &shipped, &["cnn"]).unwrap();
        let recorded = built[0].settings();
        assert_eq!(recorded["conv"], "burn");
        assert_eq!(recorded["flush"], "off");
        let defaults = CnnBackend::default().settings();
        assert!(!defaults.contains_key("conv") && !defaults.contains_key("flush"));
        let set = ["cnn.device=ndarray", "cnn.dropout=1"].map(|a| a.parse().unwrap());
        let err = bench_core::build_backends(&factories, &set, &[])
            .err()
            .map(|e| e.to_string());
        assert_eq!(
            err.as_deref(),
            Some("--set cnn.dropout: must be in [0, 1), got 1")
        );
        settings = Settings::defaults("cnn", SETTINGS);
        assert_eq!(settings.raw("device"), "flex");
    }
}
