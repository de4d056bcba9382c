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
//! about 30% more time (measured with `cargo xtask bench linfa-fit`), so it is opt-in.
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
//! the floor. One side effect: the intercept is now penalised like the weights, by
//! `alpha/2 * b^2` on a loss summed over tens of thousands of images, which moves nothing
//! measurable. The same formulation is used in f64 so the two precisions solve the same problem.
//! A run that still ends at the starting point fails with that reason instead of being reported.

use std::collections::BTreeMap;
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use bench_core::{
    Backend, ConfigError, EpochStats, FittedModel, HistoryUnit, Hyperparams, Observer, TrainData,
    TrainError, ValidHyperparams, loss_and_accuracy,
};
use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use mnist_data::{Dataset, IMAGE_PIXELS, N_CLASSES};
use ndarray_linfa::{Array1, Array2, ArrayView2, ShapeBuilder};

/// Floating-point type of the features and weights. f32 is the default: it reaches the same
/// accuracy as f64 and fits about twice as fast (`cargo xtask bench linfa-fit`: 14.6 s against
/// 30.2 s), since the fit is bound by reading the feature matrix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Precision {
    /// Single precision.
    #[default]
    F32,
    /// Double precision.
    F64,
}

impl fmt::Display for Precision {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Self::F32 => "f32",
            Self::F64 => "f64",
        })
    }
}

impl FromStr for Precision {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "f32" => Ok(Self::F32),
            "f64" => Ok(Self::F64),
            other => Err(format!("unknown precision {other:?}; expected f32 or f64")),
        }
    }
}

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

impl Backend for LinfaBackend {
    fn name(&self) -> &str {
        "linfa"
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

    fn train(
        &self,
        hp: &ValidHyperparams,
        data: &TrainData<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Box<dyn FittedModel>, TrainError> {
        let budgets = self.budgets(hp.get().epochs);
        // The solver's weights are `W / s`, so the same penalty needs `alpha * s^2`.
        let solver_alpha = self.alpha * SOLVER_SCALE * SOLVER_SCALE;
        match self.precision {
            Precision::F32 => Ok(Box::new(fit::<f32>(
                solver_alpha as f32,
                &budgets,
                data,
                observer,
            )?)),
            Precision::F64 => Ok(Box::new(fit::<f64>(
                solver_alpha,
                &budgets,
                data,
                observer,
            )?)),
        }
    }
}

/// The float types linfa-logistic supports. linfa-logistic's own float trait is private, so the
/// generic code goes through this one, implemented for `f32` and `f64` by a macro.
pub trait Float: linfa::Float + Send + Sync + 'static {
    /// Converts a normalised pixel.
    fn from_pixel(v: f32) -> Self;
    /// Converts a probability.
    fn to_probability(self) -> f32;
    /// Runs L-BFGS for `iterations` from `start` (all zeros when `None`).
    fn fit_budget(
        dataset: &Features<Self>,
        alpha: Self,
        iterations: u64,
        start: Option<Array2<Self>>,
    ) -> Result<Model<Self>, linfa_logistic::error::Error>;
    /// Class probabilities, one column per class seen in training.
    fn probabilities(model: &Model<Self>, x: ArrayView2<'_, Self>) -> Array2<Self>;
    /// The weights, the shape `initial_params` takes.
    fn weights(model: &Model<Self>) -> Array2<Self>;
    /// The classes seen in training, in column order.
    fn classes(model: &Model<Self>) -> &[usize];
}

/// The training set as linfa takes it.
pub type Features<F> = DatasetBase<Array2<F>, Array1<usize>>;
/// A fitted linfa-logistic model.
pub type Model<F> = MultiFittedLogisticRegression<F, usize>;

macro_rules! impl_float {
    ($t:ty) => {
        impl Float for $t {
            fn from_pixel(v: f32) -> Self {
                v as $t
            }

            fn to_probability(self) -> f32 {
                self as f32
            }

            fn fit_budget(
                dataset: &Features<Self>,
                alpha: Self,
                iterations: u64,
                start: Option<Array2<Self>>,
            ) -> Result<Model<Self>, linfa_logistic::error::Error> {
                let mut params = MultiLogisticRegression::<$t>::default()
                    .with_intercept(false)
                    .alpha(alpha)
                    .max_iterations(iterations);
                if let Some(w) = start {
                    params = params.initial_params(w);
                }
                params.fit(dataset)
            }

            fn probabilities(model: &Model<Self>, x: ArrayView2<'_, Self>) -> Array2<Self> {
                model.predict_probabilities(&x)
            }

            fn weights(model: &Model<Self>) -> Array2<Self> {
                model.params().to_owned()
            }

            fn classes(model: &Model<Self>) -> &[usize] {
                model.classes()
            }
        }
    };
}

impl_float!(f32);
impl_float!(f64);

/// Uniform scale of the features and the constant intercept feature the solver sees (see the
/// crate docs): large enough steps for argmin's f32 line search, same optimum.
pub const SOLVER_SCALE: f64 = 0.05;

/// Features per image as the solver sees them: the pixels and a constant for the intercept.
const SOLVER_FEATURES: usize = IMAGE_PIXELS + 1;

/// Rows converted at a time when predicting, so that only one full copy of the training features
/// (the one linfa fits on) ever exists.
const PREDICT_ROWS: usize = 4096;

/// Features of `data[start..end]` in `F`, scaled to [0, 1], stored column-major.
///
/// The fit is bound by matrixmultiply packing the feature matrix for each of its products (`X W`
/// and `X^T D`); column-major storage makes that packing read contiguous runs and fits about 10%
/// faster than row-major (`cargo xtask bench linfa-fit`). The values are identical either way.
fn features<F: Float>(data: &Dataset, start: usize, end: usize) -> Array2<F> {
    let scale = SOLVER_SCALE as f32;
    let rows = end - start;
    let mut values = Vec::with_capacity(rows * SOLVER_FEATURES);
    for pixel in 0..IMAGE_PIXELS {
        values.extend(
            (start..end).map(|i| F::from_pixel(f32::from(data.image(i)[pixel]) * (scale / 255.0))),
        );
    }
    values.extend(std::iter::repeat_n(F::from_pixel(scale), rows));
    Array2::from_shape_vec((rows, SOLVER_FEATURES).f(), values).expect("785 columns of features")
}

fn fit<F: Float>(
    alpha: F,
    budgets: &[usize],
    data: &TrainData<'_>,
    observer: &mut dyn Observer,
) -> Result<FittedLinfa<F>, TrainError> {
    let x = features::<F>(data.train, 0, data.train.len());
    let y: Array1<usize> = data
        .train
        .labels()
        .iter()
        .map(|&l| usize::from(l))
        .collect();
    let mut dataset: Features<F> = DatasetBase::new(x, y);
    let mut weights: Option<Array2<F>> = None;
    let mut done = 0;
    let mut fitted = None;
    for &budget in budgets {
        let started = Instant::now();
        let (back, model) = interruptible_fit(
            dataset,
            alpha,
            (budget - done) as u64,
            weights.take(),
            observer,
        )?;
        dataset = back;
        let model = model.map_err(|e| TrainError::Backend(format!("linfa-logistic: {e}")))?;
        let stacked = F::weights(&model);
        if done == 0 && stacked.iter().all(|&v| v == F::zero()) {
            return Err(TrainError::Backend(
                "linfa-logistic: L-BFGS returned its all-zero starting point (its line search gave up on the \
                 first iteration); the model would be at chance level"
                    .to_string(),
            ));
        }
        done = budget;
        let model = FittedLinfa {
            model,
            n_weights: stacked.len(),
        };
        let train_proba = model.proba_of(dataset.records().view());
        let (train_loss, train_accuracy) = loss_and_accuracy(&train_proba, data.train.labels());
        let (validation_loss, validation_accuracy) = match data.validation {
            Some(v) => {
                let (l, a) = loss_and_accuracy(&model.predict_proba(v)?, v.labels());
                (Some(l), Some(a))
            }
            None => (None, None),
        };
        observer.epoch(&EpochStats {
            step: budget,
            train_loss,
            train_accuracy,
            validation_loss,
            validation_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        });
        if bench_core::diverged(train_loss) {
            return Err(TrainError::Diverged {
                step: budget,
                loss: train_loss,
            });
        }
        if observer.cancelled() {
            return Err(TrainError::Cancelled);
        }
        weights = Some(stacked);
        fitted = Some(model);
    }
    fitted.ok_or_else(|| TrainError::Backend("no iteration budget".into()))
}

/// The result of one L-BFGS run, with the training set handed back.
type FitOutcome<F> = (Features<F>, Result<Model<F>, linfa_logistic::error::Error>);

/// Runs one L-BFGS fit on its own thread so that a cancellation (Ctrl-C) is honoured within
/// 50 ms: linfa offers no way to stop a fit, so a cancelled fit is left to finish unobserved
/// while the run returns at once.
fn interruptible_fit<F: Float>(
    dataset: Features<F>,
    alpha: F,
    iterations: u64,
    start: Option<Array2<F>>,
    observer: &mut dyn Observer,
) -> Result<FitOutcome<F>, TrainError> {
    let (sender, receiver) = std::sync::mpsc::channel();
    std::thread::Builder::new()
        .name("linfa-fit".into())
        .spawn(move || {
            let result = F::fit_budget(&dataset, alpha, iterations, start);
            // The receiver is gone only if the run was cancelled; nothing is waiting then.
            let _ = sender.send((dataset, result));
        })
        .map_err(|e| TrainError::Backend(format!("cannot start the linfa thread: {e}")))?;
    loop {
        match receiver.recv_timeout(std::time::Duration::from_millis(50)) {
            Ok(outcome) => return Ok(outcome),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) if observer.cancelled() => {
                return Err(TrainError::Cancelled);
            }
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => {
                return Err(TrainError::Backend(
                    "linfa-logistic panicked during the fit".into(),
                ));
            }
        }
    }
}

/// A fitted linfa model.
#[derive(Debug, Clone)]
pub struct FittedLinfa<F: Float> {
    model: Model<F>,
    n_weights: usize,
}

impl<F: Float> FittedLinfa<F> {
    /// Probabilities for `x`, as 10 columns even if a class was absent from training.
    fn proba_of(&self, x: ArrayView2<'_, F>) -> Vec<f32> {
        let p = F::probabilities(&self.model, x);
        let mut out = vec![0.0f32; x.nrows() * N_CLASSES];
        for (row, out) in p.rows().into_iter().zip(out.chunks_exact_mut(N_CLASSES)) {
            for (&class, &v) in F::classes(&self.model).iter().zip(row) {
                out[class] = v.to_probability();
            }
        }
        out
    }
}

impl<F: Float> FittedModel for FittedLinfa<F> {
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError> {
        let mut out = Vec::with_capacity(images.len() * N_CLASSES);
        let mut start = 0;
        while start < images.len() {
            let end = (start + PREDICT_ROWS).min(images.len());
            out.extend(self.proba_of(features::<F>(images, start, end).view()));
            start = end;
        }
        Ok(out)
    }

    fn param_count(&self) -> usize {
        self.n_weights
    }
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
