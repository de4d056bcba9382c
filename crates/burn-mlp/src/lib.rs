//! The notebook's Keras network in burn: Dense 128 ReLU, Dropout 0.2, Dense 64 ReLU, Dropout 0.2,
//! Dense 10, softmax cross-entropy, Adam (lr 1e-3), batches of 32, 20 epochs, reshuffled every
//! epoch with the run's seed; validation and test run with dropout off.
//!
//! The burn device is chosen at run time ([`BurnDevice`]) among those compiled in: the
//! `burn-ndarray` CPU backend, always, and the default (the one the project was specified with);
//! Flex, burn's newer pure-Rust CPU backend, behind the `flex` cargo feature; GPU devices behind
//! the `cuda` and `wgpu` features. Each extra device adds minutes to a cold build (Flex: as
//! long again as the default build; docs/building.md), so the default build has ndarray alone; naming a device that is not compiled
//! in is an error naming the feature that brings it.
//!
//! Layout, as in burn's examples: [`model`] (the network), [`data`] (batches to tensors),
//! [`training`] (the loop), with [`early_stop`] (the `patience` setting) beside it; [`bench`]
//! declares its benchmark and twins. [`training`] trains any [`training::Network`], so the cnn of
//! `burn-cnn` shares the devices, the loop and `--set …patience=N` (early stopping on the
//! validation loss, off by default, keeping the best epoch's weights). [`denormals`] flushes
//! subnormal floats while burn trains, on the training thread and rayon's workers, and restores
//! each thread's setting after; `tests/flush_on_workers.rs` reads the flag on the workers during
//! and after a training. `rayon` and `ndarray`, both already in burn's build, are dependencies
//! for that guard alone.

pub mod bench;
pub mod data;
pub mod denormals;
pub mod early_stop;
pub mod model;
pub mod training;

use std::collections::BTreeMap;
use std::fmt;
use std::path::Path;
use std::str::FromStr;
use std::sync::Mutex;

use bench_core::{
    Backend, BackendFactory, ConfigError, FittedModel, Hyperparams, Observer, SettingSpec,
    Settings, TrainData, TrainError, Twin, ValidHyperparams, Workload,
};
use burn::module::Module;
use burn::prelude::*;
use burn::store::ModuleRecord;
use mnist_data::Dataset;

pub use model::{Mlp, MlpShape};

/// Where burn runs.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum BurnDevice {
    /// The `burn-ndarray` CPU backend (deprecated upstream in favour of Flex, still the default here).
    #[default]
    Ndarray,
    /// Flex, burn's pure-Rust CPU backend (`flex` feature).
    #[cfg(feature = "flex")]
    Flex,
    /// The first CUDA GPU (`cuda` feature).
    #[cfg(feature = "cuda")]
    Cuda,
    /// The default wgpu adapter (`wgpu` feature).
    #[cfg(feature = "wgpu")]
    Wgpu,
}

/// Every device this crate knows, with the cargo feature that compiles it in (`None`: always).
pub const KNOWN_DEVICES: [(&str, Option<&str>); 4] = [
    ("ndarray", None),
    ("flex", Some("flex")),
    ("cuda", Some("cuda")),
    ("wgpu", Some("wgpu")),
];

impl BurnDevice {
    /// The fastest CPU device compiled in: Flex with the `flex` feature, else ndarray.
    pub fn fastest_cpu() -> BurnDevice {
        #[cfg(feature = "flex")]
        let fastest = Self::Flex;
        #[cfg(not(feature = "flex"))]
        let fastest = Self::Ndarray;
        fastest
    }

    /// Every device compiled in.
    pub fn all() -> Vec<BurnDevice> {
        vec![
            Self::Ndarray,
            #[cfg(feature = "flex")]
            Self::Flex,
            #[cfg(feature = "cuda")]
            Self::Cuda,
            #[cfg(feature = "wgpu")]
            Self::Wgpu,
        ]
    }

    /// The name used on the command line.
    pub fn name(self) -> &'static str {
        match self {
            Self::Ndarray => "ndarray",
            #[cfg(feature = "flex")]
            Self::Flex => "flex",
            #[cfg(feature = "cuda")]
            Self::Cuda => "cuda",
            #[cfg(feature = "wgpu")]
            Self::Wgpu => "wgpu",
        }
    }

    /// The burn device (without autodiff).
    pub fn device(self) -> Device {
        match self {
            // Deprecated upstream, but it is the backend this project was specified with.
            #[allow(deprecated)]
            Self::Ndarray => Device::ndarray(),
            #[cfg(feature = "flex")]
            Self::Flex => Device::flex(),
            #[cfg(feature = "cuda")]
            Self::Cuda => Device::cuda(0),
            #[cfg(feature = "wgpu")]
            Self::Wgpu => Device::wgpu(Default::default()),
        }
    }
}

impl fmt::Display for BurnDevice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for BurnDevice {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let all = Self::all();
        if let Some(d) = all.iter().copied().find(|d| d.name() == s) {
            return Ok(d);
        }
        let names: Vec<&str> = all.iter().map(|d| d.name()).collect();
        let names = names.join(", ");
        match KNOWN_DEVICES.iter().find(|(name, _)| *name == s) {
            Some((_, Some(feature))) => Err(format!(
                "the {s} device is not compiled into this build; {}; compiled in: {names}",
                bench_core::needs_feature(feature)
            )),
            _ => Err(format!(
                "unknown burn device {s:?}; compiled in: {names} (flex, cuda and wgpu come with \
                 the cargo features of those names)"
            )),
        }
    }
}

/// The burn backend.
#[derive(Debug, Clone, PartialEq)]
pub struct BurnBackend {
    /// Where to run.
    pub device: BurnDevice,
    /// The network.
    pub shape: MlpShape,
    /// Early stopping on the validation loss (off by default, as in the notebook's recipe).
    pub patience: Option<usize>,
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
    SettingSpec {
        name: "hidden",
        help: "hidden layer widths, comma-separated",
        default: "128,64",
    },
    SettingSpec {
        name: "dropout",
        help: "dropout rate after each hidden layer, in [0, 1)",
        default: "0.2",
    },
    PATIENCE,
];

/// The `patience` setting of a burn network: early stopping on the validation loss.
pub const PATIENCE: SettingSpec = SettingSpec {
    name: "patience",
    help: "early stopping: stop after this many epochs without a lower validation loss and keep \
           the best epoch's weights (needs a validation set), or off",
    default: "off",
};

/// The value of [`PATIENCE`]: `None` for `off`, else a count of epochs, at least 1.
pub fn patience_setting(s: &Settings) -> Result<Option<usize>, ConfigError> {
    if s.raw("patience").trim() == "off" {
        return Ok(None);
    }
    let epochs: usize = s.parse("patience")?;
    if epochs == 0 {
        return Err(s.invalid("patience", "must be at least 1 epoch, or off"));
    }
    Ok(Some(epochs))
}

/// Why a backend with early stopping needs a validation set ([`Backend::needs_validation`]).
pub fn patience_needs_validation(backend: &str, patience: Option<usize>) -> Option<String> {
    patience.map(|_| {
        format!(
            "--set {backend}.patience: early stopping watches the validation loss, and this split \
             holds no validation set out: give --val-fraction above 0, or leave patience off"
        )
    })
}

/// How a run's settings record [`PATIENCE`]: `off` or the count.
pub fn patience_value(patience: Option<usize>) -> String {
    patience.map_or("off".to_string(), |p| p.to_string())
}

/// The sentence a report needs about a backend that stops early ([`Backend::notes`]).
pub fn patience_note(backend: &str, patience: Option<usize>) -> Option<String> {
    patience.map(|p| {
        format!(
            "{backend} stops early once its validation loss has not improved for {p} epochs in a \
             row and keeps the weights of the epoch with the lowest validation loss; its epochs \
             and history count the epochs it trained, those after its best one included."
        )
    })
}

impl BackendFactory for BurnFactory {
    fn name(&self) -> &'static str {
        "burn"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SETTINGS
    }

    fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
        let hidden = s.widths("hidden")?;
        let dropout = dropout_setting(s)?;
        Ok(Box::new(BurnBackend {
            device: s.parse("device")?,
            shape: MlpShape { hidden, dropout },
            patience: patience_setting(s)?,
        }))
    }

    fn workloads(&self) -> &'static [Workload] {
        bench::WORKLOADS
    }
}

/// The `dropout` setting of a burn network: a rate in [0, 1).
pub fn dropout_setting(s: &Settings) -> Result<f64, ConfigError> {
    let dropout: f64 = s.parse("dropout")?;
    if !(0.0..1.0).contains(&dropout) {
        return Err(s.invalid("dropout", &format!("must be in [0, 1), got {dropout}")));
    }
    Ok(dropout)
}

/// burn seeds its random state per backend, possibly globally, so two trainings at once in one
/// process would draw from each other's stream; runs are serialised to stay reproducible.
static TRAINING: Mutex<()> = Mutex::new(());

/// Holds burn's training lock: every burn network in this process (this crate's MLP, the CNN of
/// `burn-cnn`) trains one at a time.
pub fn serial_training() -> std::sync::MutexGuard<'static, ()> {
    TRAINING.lock().unwrap_or_else(|e| e.into_inner())
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
        if self.shape.hidden.is_empty() || self.shape.hidden.contains(&0) {
            return Err(ConfigError::Invalid(format!(
                "burn: hidden layer sizes must be positive, got {:?}",
                self.shape.hidden
            )));
        }
        if !(0.0..1.0).contains(&self.shape.dropout) {
            return Err(ConfigError::Invalid(format!(
                "burn: dropout must be in [0, 1), got {}",
                self.shape.dropout
            )));
        }
        Ok(valid)
    }

    fn settings(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("device".to_string(), self.device.to_string()),
            ("dropout".to_string(), self.shape.dropout.to_string()),
            ("patience".to_string(), patience_value(self.patience)),
            (
                "optimizer".to_string(),
                "Adam(beta1 0.9, beta2 0.999, eps 1e-7)".to_string(),
            ),
        ])
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
            notes.push(format!(
                "{}'s training curves are averaged over each epoch's batches with dropout on \
                 (rate {}), as Keras reports them; its train accuracy in the table is measured \
                 on the final model, without dropout.",
                self.name(),
                self.shape.dropout
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
        };
        let _serial = serial_training();
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

/// Reads a burnpack file into memory whole. (burn's `ModuleRecord::load` maps the file and reads
/// it when a tensor is first used, so a model loaded that way fails later, with a panic inside
/// burn, if its file has gone meanwhile.)
pub fn read_record(path: &Path) -> Result<ModuleRecord, TrainError> {
    let fail = |e: &dyn fmt::Debug| TrainError::Backend(format!("{}: {e:?}", path.display()));
    let bytes =
        std::fs::read(path).map_err(|e| TrainError::Backend(format!("{}: {e}", path.display())))?;
    ModuleRecord::from_bytes(burn::tensor::Bytes::from_bytes_vec(bytes)).map_err(|e| fail(&e))
}

/// The weights file in a saved model's folder: burn's own record format (burnpack).
pub const MODEL_FILE: &str = "model.bpk";

/// A trained burn MLP, on its (non-autodiff) device.
#[derive(Debug)]
pub struct FittedBurn {
    model: Mlp,
}

impl FittedBurn {
    /// Writes the weights to a burnpack file.
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        self.model
            .clone()
            .into_record()
            .save(path)
            .map_err(|e| TrainError::Backend(format!("{}: {e:?}", path.display())))
    }

    /// Reads weights saved by [`FittedBurn::save`] into a network of `shape` on `device`.
    pub fn load(path: &Path, shape: &MlpShape, device: BurnDevice) -> Result<Self, TrainError> {
        let record = read_record(path)?;
        let model = Mlp::new(shape, &device.device())
            .try_load_record(record)
            .map_err(|e| TrainError::Backend(format!("{}: {e:?}", path.display())))?;
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

    #[test]
    fn device_names_round_trip_and_unknown_ones_are_explained() {
        for d in BurnDevice::all() {
            assert_eq!(d.name().parse::<BurnDevice>().unwrap(), d);
        }
        let err = "tpu".parse::<BurnDevice>().unwrap_err();
        assert!(
            err.starts_with("unknown burn device \"tpu\"; compiled in: ndarray"),
            "{err}"
        );
        // A known device left out of this build names the feature that brings it.
        for (name, feature) in KNOWN_DEVICES {
            match (name.parse::<BurnDevice>(), feature) {
                (Ok(d), _) => assert_eq!(d.name(), name),
                (Err(e), Some(feature)) => assert!(
                    e.contains(&format!("rebuild with the `{feature}` cargo feature")),
                    "{e}"
                ),
                (Err(e), None) => panic!("{name} is always compiled in: {e}"),
            }
        }
    }
}
