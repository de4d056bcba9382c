//! The notebook's from-scratch MLP, in Rust on `ndarray`: a hand-written forward pass, hand-derived
//! backpropagation and plain mini-batch SGD, with no autodiff or deep-learning crate.
//!
//! Defaults reproduce the notebook: 784-128-10, ReLU, softmax with cross-entropy, weights drawn
//! from N(0, 1)/sqrt(fan_in), zero biases, learning rate 0.1, batches of 32, 10 epochs, the
//! training set reshuffled every epoch. Hidden sizes are configurable.
//!
//! Layout: [`bench`] declares its benchmark (workload, NumPy twins, FLOP count), [`model`]
//! holds the network and inference, [`training`] the SGD loop (the input layer split across
//! worker threads by pixels), [`sparse`] the input layer's products over non-zero
//! pixels, [`sync`] the barrier the workers meet at. Results are reproducible for a given seed and
//! thread count (the thread count changes the order of a few sums, so it is recorded).

pub mod bench;
pub mod model;
pub mod sparse;
pub mod sync;
pub mod training;

use std::collections::BTreeMap;

use bench_core::{
    Backend, BackendFactory, ConfigError, FittedModel, Hyperparams, Observer, SettingSpec,
    Settings, TrainData, TrainError, Twin, ValidHyperparams, WorkMeter, Workload,
};
use mnist_data::Dataset;

pub use model::{FittedMlp, Mlp};
pub use training::SgdOptions;

/// The scratch backend.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ScratchBackend {
    /// Hidden layer widths; at least one layer.
    pub hidden: Vec<usize>,
    /// Worker threads for training and inference.
    pub threads: usize,
}

impl Default for ScratchBackend {
    fn default() -> Self {
        Self {
            hidden: vec![128],
            threads: default_threads(),
        }
    }
}

/// One worker per core, at most two: a batch of 32 leaves little work to share, and the workers
/// meet once per batch.
pub fn default_threads() -> usize {
    std::thread::available_parallelism()
        .map_or(1, |n| n.get())
        .min(2)
}

impl ScratchBackend {
    fn layer_sizes(&self) -> String {
        let hidden: Vec<String> = self.hidden.iter().map(usize::to_string).collect();
        format!("784-{}-10", hidden.join("-"))
    }
}

/// Builds [`ScratchBackend`] from its settings (`--set scratch.hidden=256,128`).
#[derive(Debug, Clone, Copy, Default)]
pub struct ScratchFactory;

const SETTINGS: &[SettingSpec] = &[
    bench_core::network::hidden_setting("128"),
    SettingSpec {
        name: "threads",
        help: "worker threads; auto: one per core, at most 2",
        default: "auto",
    },
];

impl BackendFactory for ScratchFactory {
    fn name(&self) -> &'static str {
        "scratch"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SETTINGS
    }

    fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
        let hidden = s.widths("hidden")?;
        let threads = if s.raw("threads").trim() == "auto" {
            default_threads()
        } else {
            s.parse("threads")?
        };
        if threads == 0 {
            return Err(s.invalid("threads", "must be at least 1 (or auto)"));
        }
        Ok(Box::new(ScratchBackend { hidden, threads }))
    }

    fn workloads(&self) -> &'static [Workload] {
        bench::WORKLOADS
    }
}

impl Backend for ScratchBackend {
    fn name(&self) -> &str {
        "scratch"
    }

    fn load(&self, dir: &std::path::Path) -> Result<Box<dyn FittedModel>, TrainError> {
        let sizes: Vec<usize> = std::iter::once(mnist_data::IMAGE_PIXELS)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(mnist_data::N_CLASSES))
            .collect();
        let mlp = Mlp::load(&dir.join(model::WEIGHTS_FILE), &sizes)?;
        Ok(Box::new(FittedMlp {
            mlp,
            threads: self.threads,
        }))
    }

    fn model(&self) -> String {
        format!(
            "MLP {}, ReLU, softmax; SGD, hand-written backprop (ndarray)",
            self.layer_sizes()
        )
    }

    fn defaults(&self) -> Hyperparams {
        Hyperparams {
            seed: 0,
            epochs: 10,
            batch_size: Some(32),
            learning_rate: Some(0.1),
        }
    }

    fn check(&self, hp: Hyperparams) -> Result<ValidHyperparams, ConfigError> {
        let valid = hp.check()?;
        valid.minibatch(self.name())?;
        if self.hidden.is_empty() || self.hidden.contains(&0) {
            return Err(ConfigError::Invalid(format!(
                "scratch: hidden layer sizes must be at least one positive width, got {:?}",
                self.hidden
            )));
        }
        if self.threads == 0 {
            return Err(ConfigError::Invalid(
                "scratch: threads must be at least 1".into(),
            ));
        }
        Ok(valid)
    }

    fn settings(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("layers".to_string(), self.layer_sizes()),
            ("threads".to_string(), self.threads.to_string()),
        ])
    }

    fn twins(&self) -> Result<Vec<Twin>, String> {
        Ok(self.numpy_twins())
    }

    fn work_meter(&self, train: &Dataset) -> Option<Box<dyn WorkMeter>> {
        Some(Box::new(self.epoch_work(train)))
    }

    fn train(
        &self,
        hp: &ValidHyperparams,
        data: &TrainData<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Box<dyn FittedModel>, TrainError> {
        let (batch_size, learning_rate) = hp.minibatch(self.name())?;
        let hp = hp.get();
        let mut mlp = Mlp::new(&self.hidden, hp.seed);
        let opts = SgdOptions {
            epochs: hp.epochs,
            batch_size,
            learning_rate: learning_rate as f32,
            seed: hp.seed,
            threads: self.threads,
        };
        training::train(&mut mlp, data, &opts, observer)?;
        Ok(Box::new(FittedMlp {
            mlp,
            threads: self.threads,
        }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Hyperparams {
        Hyperparams {
            epochs: 3,
            ..ScratchBackend::default().defaults()
        }
    }

    bench_core::conformance_suite!(ScratchBackend::default(), quick());

    mod deeper {
        use super::*;
        bench_core::conformance_suite!(
            ScratchBackend {
                hidden: vec![48, 24],
                threads: 3
            },
            quick()
        );
    }
}
