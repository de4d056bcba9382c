//! Training hyperparameters, validated once (`Hyperparams::check` gives `ValidHyperparams`).

use serde::{Deserialize, Serialize};

/// Hyperparameters common to the backends. A backend's defaults leave `None` where it has no such
/// knob (L-BFGS has no batch size or learning rate); command-line overrides only replace `Some`.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct Hyperparams {
    /// Seed for initialisation, shuffling and dropout.
    pub seed: u64,
    /// Passes over the training data (for L-BFGS: the iteration budget).
    pub epochs: usize,
    /// Mini-batch size; `None` means full-batch.
    pub batch_size: Option<usize>,
    /// Step size; `None` for optimisers that choose their own (line search).
    pub learning_rate: Option<f64>,
}

/// Command-line overrides of a backend's defaults.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct Overrides {
    /// Replaces `epochs`.
    pub epochs: Option<usize>,
    /// Replaces `batch_size` where the backend has one.
    pub batch_size: Option<usize>,
    /// Replaces `learning_rate` where the backend has one.
    pub learning_rate: Option<f64>,
}

impl Hyperparams {
    /// These hyperparameters with `overrides` applied and the seed set.
    pub fn with_overrides(mut self, seed: u64, overrides: &Overrides) -> Self {
        self.seed = seed;
        if let Some(e) = overrides.epochs {
            self.epochs = e;
        }
        if self.batch_size.is_some() && overrides.batch_size.is_some() {
            self.batch_size = overrides.batch_size;
        }
        if self.learning_rate.is_some() && overrides.learning_rate.is_some() {
            self.learning_rate = overrides.learning_rate;
        }
        self
    }

    /// Validates the values every backend relies on.
    pub fn check(self) -> Result<ValidHyperparams, ConfigError> {
        if self.epochs == 0 {
            return Err(ConfigError::ZeroEpochs);
        }
        if self.batch_size == Some(0) {
            return Err(ConfigError::ZeroBatch);
        }
        if let Some(lr) = self.learning_rate
            && !(lr.is_finite() && lr > 0.0)
        {
            return Err(ConfigError::LearningRate(lr));
        }
        Ok(ValidHyperparams(self))
    }
}

/// Hyperparameters that passed [`Hyperparams::check`]; only these reach training.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ValidHyperparams(Hyperparams);

impl ValidHyperparams {
    /// The checked values.
    pub fn get(&self) -> &Hyperparams {
        &self.0
    }

    /// The batch size and learning rate of a mini-batch optimiser, required by `backend`.
    pub fn minibatch(&self, backend: &str) -> Result<(usize, f64), ConfigError> {
        match (self.0.batch_size, self.0.learning_rate) {
            (Some(b), Some(lr)) => Ok((b, lr)),
            _ => Err(ConfigError::Missing {
                backend: backend.to_string(),
                what: "a batch size and a learning rate",
            }),
        }
    }
}

/// A hyperparameter that cannot be trained with.
#[derive(Debug, Clone, PartialEq, thiserror::Error)]
pub enum ConfigError {
    /// Zero epochs.
    #[error("--epochs must be at least 1, got 0")]
    ZeroEpochs,
    /// Zero batch size.
    #[error("--batch-size must be at least 1, got 0")]
    ZeroBatch,
    /// A learning rate that is not a positive finite number.
    #[error("--lr must be a positive finite number, got {0}")]
    LearningRate(f64),
    /// A backend needs a value its hyperparameters lack.
    #[error("{backend} needs {what}")]
    Missing {
        /// The backend.
        backend: String,
        /// What it needs.
        what: &'static str,
    },
    /// A backend-specific setting is out of range.
    #[error("{0}")]
    Invalid(String),
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sgd() -> Hyperparams {
        Hyperparams {
            seed: 1,
            epochs: 3,
            batch_size: Some(32),
            learning_rate: Some(0.1),
        }
    }

    #[test]
    fn check_rejects_each_bad_value_with_the_flag_named() {
        let bad = [
            (Hyperparams { epochs: 0, ..sgd() }, "--epochs"),
            (
                Hyperparams {
                    batch_size: Some(0),
                    ..sgd()
                },
                "--batch-size",
            ),
            (
                Hyperparams {
                    learning_rate: Some(0.0),
                    ..sgd()
                },
                "--lr",
            ),
            (
                Hyperparams {
                    learning_rate: Some(-1.0),
                    ..sgd()
                },
                "--lr",
            ),
            (
                Hyperparams {
                    learning_rate: Some(f64::NAN),
                    ..sgd()
                },
                "--lr",
            ),
            (
                Hyperparams {
                    learning_rate: Some(f64::INFINITY),
                    ..sgd()
                },
                "--lr",
            ),
        ];
        for (hp, flag) in bad {
            let err = hp.check().unwrap_err().to_string();
            assert!(err.starts_with(flag), "{hp:?}: {err}");
        }
        assert!(sgd().check().is_ok());
    }

    #[test]
    fn overrides_replace_only_existing_knobs() {
        let o = Overrides {
            epochs: Some(2),
            batch_size: Some(64),
            learning_rate: Some(0.5),
        };
        let full_batch = Hyperparams {
            batch_size: None,
            learning_rate: None,
            ..sgd()
        };
        let got = full_batch.with_overrides(9, &o);
        assert_eq!(
            (got.seed, got.epochs, got.batch_size, got.learning_rate),
            (9, 2, None, None)
        );
        let got = sgd().with_overrides(9, &o);
        assert_eq!((got.batch_size, got.learning_rate), (Some(64), Some(0.5)));
        let minibatch = got.check().unwrap().minibatch("x").unwrap();
        assert_eq!(minibatch, (64, 0.5));
        assert!(full_batch.check().unwrap().minibatch("x").is_err());
    }
}
