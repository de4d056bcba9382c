//! The classical baseline: multinomial logistic regression with `linfa-logistic`, standing in for
//! scikit-learn's `LogisticRegression`. Pixels are scaled to [0, 1].
//!
//! # Regularisation that matches scikit-learn
//! scikit-learn minimises `C * sum_i CE_i + ||W||^2 / 2` (recent versions divide the whole
//! objective by the sample count, which moves no minimum). linfa-logistic minimises
//! `sum_i CE_i + alpha/2 * ||W||^2`, also summed over samples and also leaving the intercept
//! unpenalised. Dividing scikit-learn's objective by `C` gives linfa's with `alpha = 1 / C`, so
//! scikit-learn's default `C = 1.0` is `alpha = 1.0` here, the default of [`LinfaBackend`].
//!
//! # No epochs
//! L-BFGS has no epochs. By default the backend runs one fit of 100 iterations (`--epochs N` sets
//! the budget), exactly what scikit-learn's `max_iter=100` does, and its history is a single
//! point, labelled as an iteration budget. With checkpoints (e.g. 10, 25, 50) the history records
//! metrics after each growing budget; linfa does not expose the optimiser's intermediate states,
//! so each budget then continues from the previous one's weights (`initial_params`) and L-BFGS's
//! curvature memory restarts at each checkpoint. That changes the final model slightly and costs
//! time (`cargo xtask bench linfa-fit` shows how much), so it is opt-in.
//!
//! # f32, and why the solver sees scaled features
//! linfa-logistic 0.8.1 in f32 on the full training set returns its all-zero starting point
//! (a model at chance level, 9.8% test) without an error. The cause is in argmin's More-Thuente
//! line search, whose smallest step is `sqrt(F::EPSILON)`: 3.5e-4 in f32 (1.5e-8 in f64). linfa's
//! objective is *summed* over the samples, so at the all-zero start the gradient norm is about
//! 6e4 on 60k images and the first (steepest-descent) step that lowers the loss is about 1e-4,
//! below the f32 floor. Every step the line search may try raises the loss; it stops at the
//! floor, L-BFGS ends without an error, and linfa returns the best point seen: the start. The
//! needed step shrinks as 1/n: f32 works on 20k images and fails on 54k.
//!
//! The workaround is an exact reparametrisation. The solver gets features `s * [x, 1]` (the
//! intercept as a constant feature, `fit_intercept` off) with `s` = [`SOLVER_SCALE`] and
//! `alpha * s^2`. With `W' = W / s` the objective is unchanged, L-BFGS is invariant to the
//! uniform scale after its first step, and the first step it needs grows by `1 / s^2`, far above
//! the floor. One side effect: the intercept is penalised like the weights, by
//! `alpha/2 * b^2` on a loss summed over tens of thousands of images, which moves nothing
//! measurable. The same formulation is used in f64 so the two precisions solve the same problem.
//! A run that still ends at the starting point fails with that reason instead of being reported.
//!
//! # Speed
//! A fit is bound by reading the feature matrix (56k x 718 on the notebook's protocol): linfa
//! evaluates the cost and the gradient separately, and L-BFGS asks for the gradient again after
//! each line search, so every iteration multiplies the whole matrix five or more times. Four
//! things make those reads fewer or cheaper, each measured with `cargo xtask bench linfa-fit`
//! (docs/benchmarks.md):
//! - pixels that are zero in every training image are left out of the matrix, which gives the
//!   same model (see `informative_pixels`);
//! - the products go to BLIS (cargo feature `blis`, on by default), split over the cores by rows
//!   of the result; without the feature they go to matrixmultiply, which copies ("packs") the
//!   whole matrix for every product;
//! - with BLIS, a product that exactly repeats one of the last few of the fit is answered from
//!   memory instead of read again ([`products`]): about 3 of the 5 per iteration, bit for bit
//!   the same model;
//! - features are f32 ([`Precision`]), half the bytes of f64.
//!
//! # Dependencies
//! BLIS (`blis-src`, behind the default `blis` feature) is the workspace's only C dependency, and
//! ndarray 0.16 (linfa's version; the scratch MLP and burn use 0.17) is no other workspace
//! crate's: both stay confined to this one. Without `blis`, linfa's products go to
//! matrixmultiply and the build needs no C toolchain.

use std::collections::BTreeMap;

use bench_core::{
    Backend, BackendFactory, ConfigError, FittedModel, HistoryUnit, Hyperparams, Observer,
    SettingSpec, Settings, TrainData, TrainError, Twin, ValidHyperparams, WorkMeter, Workload,
};
use mnist_data::Dataset;

pub mod bench;
mod fitted;
mod float;
#[cfg(feature = "blis")]
pub mod products;
mod saved;
#[allow(unsafe_code)]
mod threads;
mod training;

pub use fitted::FittedLinfa;
pub use float::{Features, Float, Model, Precision};
pub use training::SOLVER_SCALE;
use training::{fit, informative_pixels};

/// The linfa backend.
#[derive(Debug, Clone, PartialEq)]
pub struct LinfaBackend {
    /// L2 penalty on linfa's summed objective; `1 / C` in scikit-learn's terms.
    pub alpha: f64,
    /// Float type of features and weights.
    pub precision: Precision,
    /// Extra iteration budgets at which the history records a point (each restarts L-BFGS);
    /// the history always ends at `epochs`.
    pub checkpoints: Vec<usize>,
}

impl Default for LinfaBackend {
    fn default() -> Self {
        Self {
            alpha: 1.0,
            precision: Precision::default(),
            checkpoints: Vec::new(),
        }
    }
}

impl LinfaBackend {
    /// The budgets actually used for a total of `total` iterations.
    fn budgets(&self, total: usize) -> Vec<usize> {
        let mut budgets: Vec<usize> = self
            .checkpoints
            .iter()
            .copied()
            .filter(|&b| b > 0 && b < total)
            .collect();
        budgets.sort_unstable();
        budgets.dedup();
        budgets.push(total);
        budgets
    }
}

/// Builds [`LinfaBackend`] from its settings (`--set linfa.precision=f64`).
#[derive(Debug, Clone, Copy, Default)]
pub struct LinfaFactory;

const SETTINGS: &[SettingSpec] = &[
    SettingSpec {
        name: "precision",
        help: "float type of features and weights: f32 or f64",
        default: "f32",
    },
    SettingSpec {
        name: "checkpoints",
        help: "extra L-BFGS iteration budgets recorded in the history, comma-separated (each \
               restarts L-BFGS from the weights so far)",
        default: "",
    },
];

impl BackendFactory for LinfaFactory {
    fn name(&self) -> &'static str {
        "linfa"
    }

    fn settings(&self) -> &'static [SettingSpec] {
        SETTINGS
    }

    fn build(&self, s: &Settings) -> Result<Box<dyn Backend>, ConfigError> {
        Ok(Box::new(LinfaBackend {
            precision: s.parse("precision")?,
            checkpoints: s.list("checkpoints")?,
            ..Default::default()
        }))
    }

    fn workloads(&self) -> &'static [Workload] {
        bench::WORKLOADS
    }

    fn build_facts(&self) -> Vec<String> {
        vec![format!("linfa products by {MATRIX_PRODUCTS}")]
    }
}

impl Backend for LinfaBackend {
    fn name(&self) -> &str {
        "linfa"
    }

    fn load(&self, dir: &std::path::Path) -> Result<Box<dyn FittedModel>, TrainError> {
        Ok(match self.precision {
            Precision::F32 => Box::new(saved::load::<f32>(dir)?),
            Precision::F64 => Box::new(saved::load::<f64>(dir)?),
        })
    }

    fn model(&self) -> String {
        format!(
            "multinomial logistic regression, L-BFGS, alpha {} (linfa-logistic, {})",
            self.alpha, self.precision
        )
    }

    fn defaults(&self) -> Hyperparams {
        Hyperparams {
            seed: 0,
            epochs: 100,
            batch_size: None,
            learning_rate: None,
        }
    }

    fn check(&self, hp: Hyperparams) -> Result<ValidHyperparams, ConfigError> {
        if !(self.alpha.is_finite() && self.alpha >= 0.0) {
            return Err(ConfigError::Invalid(format!(
                "linfa: alpha must be a non-negative finite number, got {}",
                self.alpha
            )));
        }
        hp.check()
    }

    fn history_unit(&self) -> HistoryUnit {
        HistoryUnit::Iteration
    }

    fn settings(&self) -> BTreeMap<String, String> {
        BTreeMap::from([
            ("alpha".to_string(), self.alpha.to_string()),
            ("precision".to_string(), self.precision.to_string()),
            (
                "solver".to_string(),
                "L-BFGS (memory 10, More-Thuente), warm restarts at checkpoints".to_string(),
            ),
        ])
    }

    fn twins(&self) -> Result<Vec<Twin>, String> {
        self.sklearn_twins()
    }

    fn work_meter(&self, _train: &Dataset) -> Option<Box<dyn WorkMeter>> {
        let start = product_counts()?;
        Some(Box::new(bench::ProductMeter { start }))
    }

    fn notes(&self) -> Vec<String> {
        vec![format!(
            "{} fits with L-BFGS, which has no epochs: its curves count L-BFGS iterations. \
             Starting from zero weights with no randomness, it fits the same model for every \
             seed: run over several seeds, its interval over seeds has zero width, and that is \
             real, not a missing value (it measures training randomness, of which it has none).",
            self.name()
        )]
    }

    fn train(
        &self,
        hp: &ValidHyperparams,
        data: &TrainData<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Box<dyn FittedModel>, TrainError> {
        let budgets = self.budgets(hp.get().epochs);
        // The solver's weights are `W / s`, so the same penalty needs `alpha * s^2`.
        let solver_alpha = self.alpha * SOLVER_SCALE * SOLVER_SCALE;
        let pixels = informative_pixels(data.train);
        match self.precision {
            Precision::F32 => Ok(Box::new(fit::<f32>(
                solver_alpha as f32,
                &budgets,
                pixels,
                data,
                observer,
            )?)),
            Precision::F64 => Ok(Box::new(fit::<f64>(
                solver_alpha,
                &budgets,
                pixels,
                data,
                observer,
            )?)),
        }
    }
}

/// Which library multiplies linfa's matrices in this build, for benchmark and report headers.
pub const MATRIX_PRODUCTS: &str = if cfg!(feature = "blis") {
    "BLIS"
} else {
    "matrixmultiply"
};

/// Products of the training features that BLIS computed and that were answered from memory
/// (see [`products`]), in one fit or in several.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct ProductCounts {
    /// Products BLIS computed.
    pub computed: u64,
    /// Products that repeated a remembered one.
    pub remembered: u64,
}

/// The products of every fit so far in this process; `None` in a build without BLIS, where
/// ndarray multiplies with matrixmultiply and nothing is remembered.
pub fn product_counts() -> Option<ProductCounts> {
    #[cfg(feature = "blis")]
    return Some(products::totals());
    #[cfg(not(feature = "blis"))]
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    fn quick() -> Hyperparams {
        Hyperparams {
            epochs: 30,
            ..LinfaBackend::default().defaults()
        }
    }

    bench_core::conformance_suite!(LinfaBackend::default(), quick());

    mod double_precision_with_checkpoints {
        use super::*;
        bench_core::conformance_suite!(
            LinfaBackend {
                precision: Precision::F64,
                checkpoints: vec![5, 15],
                ..LinfaBackend::default()
            },
            quick()
        );
    }

    #[test]
    fn budgets_end_at_the_total_and_skip_larger_checkpoints() {
        assert_eq!(LinfaBackend::default().budgets(100), vec![100]);
        let b = LinfaBackend {
            checkpoints: vec![50, 10, 25, 10],
            ..LinfaBackend::default()
        };
        assert_eq!(b.budgets(100), vec![10, 25, 50, 100]);
        assert_eq!(b.budgets(30), vec![10, 25, 30]);
        assert_eq!(b.budgets(5), vec![5]);
    }

    #[test]
    fn a_linfa_error_becomes_a_failed_run_and_the_next_run_goes_on() {
        let split = bench_core::conformance::synthetic_split(5);
        let good = LinfaBackend::default();
        let hp = bench_core::prepare(&good, quick()).unwrap();
        // An alpha that only linfa itself rejects, at fit time (check() would stop it earlier).
        let broken = LinfaBackend {
            alpha: f64::NAN,
            ..good.clone()
        };
        let failed = bench_core::run(&broken, &hp, &split, &mut bench_core::Quiet);
        match &failed.status {
            bench_core::RunStatus::Failed { reason } => {
                assert!(
                    reason.starts_with("linfa-logistic: alpha must be"),
                    "{reason}"
                );
            }
            ok => panic!("expected a failed run, got {ok:?}"),
        }
        assert!(failed.metrics.is_none());
        let next = bench_core::run(&good, &hp, &split, &mut bench_core::Quiet);
        assert!(next.is_ok(), "{:?}", next.status);
    }

    #[test]
    fn config_rejects_a_bad_alpha() {
        let err = LinfaBackend {
            alpha: -1.0,
            ..LinfaBackend::default()
        }
        .check(quick())
        .unwrap_err();
        assert!(err.to_string().contains("alpha"), "{err}");
    }
}
