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
use std::fmt;
use std::str::FromStr;
use std::time::Instant;

use bench_core::{
    Backend, BackendFactory, ConfigError, EpochStats, FittedModel, HistoryUnit, Hyperparams,
    Observer, SettingSpec, Settings, TrainData, TrainError, Twin, ValidHyperparams, WorkMeter,
    Workload, loss_and_accuracy,
};
use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use mnist_data::{Dataset, IMAGE_PIXELS, N_CLASSES};
use ndarray_linfa::{Array1, Array2, ArrayView2, ShapeBuilder};

/// Floating-point type of the features and weights. f32 is the default because it fits faster,
/// the fit being bound by reading the feature matrix (`cargo xtask bench linfa-fit`, docs/benchmarks.md); on
/// validation it fits as well as f64 (standard split, seed 42, 6,000 validation images:
/// validation loss 0.2864 against 0.2862, accuracy 92.78% against 92.72%; from
/// `cargo xtask compare --backends linfa --set linfa.precision=f32`, then `=f64`; their
/// histories are in docs/evidence/linfa-precision/, see docs/defaults.md).
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

pub mod bench;
#[cfg(feature = "blis")]
pub mod products;
mod saved;

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

/// Threads for linfa's matrix products.
#[cfg(feature = "blis")]
#[allow(unsafe_code)]
mod threads {
    unsafe extern "C" {
        fn bli_thread_set_ways(jc: i64, pc: i64, ic: i64, jr: i64, ir: i64);
    }

    /// Splits BLIS's products over every core along the rows of the result, on the calling thread
    /// (BLIS keeps this setting per thread). linfa's products are tall and thin (`X W` has ten
    /// columns); BLIS's own choice for two threads splits those ten columns 8 + 2, so both
    /// threads read the whole feature matrix and the fit takes longer (`cargo xtask bench linfa-fit`).
    pub fn use_all_cores() {
        let n = std::thread::available_parallelism().map_or(1, |n| n.get());
        let n = i64::try_from(n).unwrap_or(1);
        // SAFETY: plain setter of BLIS's per-thread runtime settings; any positive count is valid.
        unsafe { bli_thread_set_ways(1, 1, n, 1, 1) };
    }
}

/// Threads for linfa's matrix products: matrixmultiply's threading is on through ndarray's
/// `matrixmultiply-threading` feature (workspace `Cargo.toml`).
#[cfg(not(feature = "blis"))]
mod threads {
    pub fn use_all_cores() {}
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
    /// The intercepts (zero here: the intercept is a feature column, see the crate docs).
    fn intercepts(model: &Model<Self>) -> Vec<Self>;
    /// `values` as a tensor of a weights file.
    fn tensor(values: &[Self]) -> bench_core::weights::Values<'_>;
    /// linfa's fitted type from its serde form (see `saved.rs`).
    fn rebuild(value: serde_json::Value) -> Result<Model<Self>, serde_json::Error>;
    /// The tensor `name` of `weights`, which must have `shape`.
    fn read(
        weights: &bench_core::weights::Weights,
        name: &str,
        shape: &[usize],
    ) -> Result<Vec<Self>, TrainError>;
}

/// The training set as linfa takes it.
pub type Features<F> = DatasetBase<Array2<F>, Array1<usize>>;
/// A fitted linfa-logistic model.
pub type Model<F> = MultiFittedLogisticRegression<F, usize>;

macro_rules! impl_float {
    ($t:ty, $variant:ident, $read:ident) => {
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

            fn intercepts(model: &Model<Self>) -> Vec<Self> {
                model.intercept().to_vec()
            }

            fn rebuild(value: serde_json::Value) -> Result<Model<Self>, serde_json::Error> {
                serde_json::from_value(value)
            }

            fn tensor(values: &[Self]) -> bench_core::weights::Values<'_> {
                bench_core::weights::Values::$variant(values)
            }

            fn read(
                weights: &bench_core::weights::Weights,
                name: &str,
                shape: &[usize],
            ) -> Result<Vec<Self>, TrainError> {
                weights.$read(name, shape)
            }
        }
    };
}

impl_float!(f32, F32, f32);
impl_float!(f64, F64, f64);

/// Uniform scale of the features and the constant intercept feature the solver sees (see the
/// crate docs): large enough steps for argmin's f32 line search, same optimum.
pub const SOLVER_SCALE: f64 = 0.05;

/// Rows converted at a time when predicting, so that only one full copy of the training features
/// (the one linfa fits on) ever exists.
const PREDICT_ROWS: usize = 4096;

/// The pixels the solver sees: those that are not zero in every training image.
///
/// A pixel that is zero throughout the training set contributes nothing to the loss, so its
/// gradient is `alpha * w`, zero at the all-zero start; every L-BFGS direction is built from
/// gradients, so its weights stay exactly zero for the whole fit and it cannot change a
/// prediction. Leaving such pixels out (the borders: 67 of 784 in the 60k training file, 68 in
/// the notebook's 56k training part) gives the same model with a smaller matrix to multiply, and
/// the fit is bound by reading that matrix.
fn informative_pixels(train: &Dataset) -> Vec<usize> {
    let mut seen = [false; IMAGE_PIXELS];
    for i in 0..train.len() {
        for (seen, &p) in seen.iter_mut().zip(train.image(i)) {
            *seen |= p != 0;
        }
    }
    (0..IMAGE_PIXELS).filter(|&p| seen[p]).collect()
}

/// Features of `data[start..end]` in `F`: the `pixels` scaled to [0, 1] and a constant column for
/// the intercept, all times [`SOLVER_SCALE`], stored column-major.
///
/// Column-major storage makes each product's reads of the matrix contiguous, and fits faster than
/// row-major storage, with BLIS and with matrixmultiply alike (`cargo xtask bench linfa-fit`).
/// The values are identical either way.
fn features<F: Float>(data: &Dataset, start: usize, end: usize, pixels: &[usize]) -> Array2<F> {
    let scale = SOLVER_SCALE as f32;
    let rows = end - start;
    let columns = pixels.len() + 1;
    let mut values = Vec::with_capacity(rows * columns);
    for &pixel in pixels {
        values.extend(
            (start..end).map(|i| F::from_pixel(f32::from(data.image(i)[pixel]) * (scale / 255.0))),
        );
    }
    values.extend(std::iter::repeat_n(F::from_pixel(scale), rows));
    Array2::from_shape_vec((rows, columns).f(), values).expect("one column per pixel, plus one")
}

/// Fits on the features of `pixels` (see [`informative_pixels`]) through the growing `budgets`.
fn fit<F: Float>(
    alpha: F,
    budgets: &[usize],
    pixels: Vec<usize>,
    data: &TrainData<'_>,
    observer: &mut dyn Observer,
) -> Result<FittedLinfa<F>, TrainError> {
    let x = features::<F>(data.train, 0, data.train.len(), &pixels);
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
            pixels: pixels.clone(),
        };
        let train_proba = model.proba_of(dataset.records().view());
        let (train_loss, train_accuracy) = loss_and_accuracy(&train_proba, data.train.labels());
        let (validation_loss, validation_accuracy) = data.validate(|v| model.predict_proba(v))?;
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

/// Runs `fit` with linfa's repeated products of the training features answered from memory
/// (see [`products`]).
#[cfg(feature = "blis")]
fn remembering_products<F: Float, R>(dataset: &Features<F>, fit: impl FnOnce() -> R) -> R {
    match dataset.records().as_slice_memory_order() {
        Some(x) => products::with_constant(x, fit).0,
        None => fit(),
    }
}

/// Without BLIS, ndarray multiplies with matrixmultiply and nothing is remembered.
#[cfg(not(feature = "blis"))]
fn remembering_products<F: Float, R>(_: &Features<F>, fit: impl FnOnce() -> R) -> R {
    fit()
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
            threads::use_all_cores();
            let result = remembering_products(&dataset, || {
                F::fit_budget(&dataset, alpha, iterations, start)
            });
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
    /// The pixels the model was fitted on; every other pixel's weights are exactly zero.
    pixels: Vec<usize>,
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
            out.extend(self.proba_of(features::<F>(images, start, end, &self.pixels).view()));
            start = end;
        }
        Ok(out)
    }

    fn param_count(&self) -> usize {
        // The full linear model: a weight per pixel and class, and an intercept per class.
        (IMAGE_PIXELS + 1) * N_CLASSES
    }

    fn save(&self, dir: &std::path::Path) -> Result<(), TrainError> {
        saved::save(self, dir)
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
    fn leaving_out_pixels_that_are_zero_in_training_changes_nothing() {
        // Training images whose top three rows are blank; test images where they are not.
        let source = mnist_data::synth::separable(600, 1);
        let mut pixels = source.pixels().to_vec();
        let blank = 3 * mnist_data::SIDE;
        for image in pixels.chunks_exact_mut(IMAGE_PIXELS) {
            image[..blank].fill(0);
        }
        let train = Dataset::new(pixels, source.labels().to_vec()).unwrap();
        let test = mnist_data::synth::separable(200, 2);
        let data = TrainData {
            train: &train,
            validation: None,
        };
        let kept = informative_pixels(&train);
        assert_eq!(kept, (blank..IMAGE_PIXELS).collect::<Vec<_>>());

        let all: Vec<usize> = (0..IMAGE_PIXELS).collect();
        let full = fit::<f64>(0.01, &[20], all, &data, &mut bench_core::Quiet).unwrap();
        // Fitted on every pixel, the blank ones get weights of exactly zero...
        let weights = f64::weights(&full.model);
        assert!(
            weights
                .slice(ndarray_linfa::s![..blank, ..])
                .iter()
                .all(|&w| w == 0.0)
        );
        assert!(weights.iter().any(|&w| w != 0.0));
        // ...so the model fitted without them predicts the same probabilities.
        let pruned = fit::<f64>(0.01, &[20], kept, &data, &mut bench_core::Quiet).unwrap();
        let (a, b) = (
            full.predict_proba(&test).unwrap(),
            pruned.predict_proba(&test).unwrap(),
        );
        let worst = a
            .iter()
            .zip(&b)
            .map(|(x, y)| (x - y).abs())
            .fold(0.0f32, f32::max);
        assert!(worst < 1e-5, "largest difference in probability {worst}");
    }

    #[cfg(feature = "blis")]
    #[test]
    fn remembering_products_changes_no_bit_of_the_fit() {
        let train = mnist_data::synth::separable(800, 3);
        let pixels = informative_pixels(&train);
        let x = features::<f32>(&train, 0, train.len(), &pixels);
        let y: Array1<usize> = train.labels().iter().map(|&l| usize::from(l)).collect();
        let dataset: Features<f32> = DatasetBase::new(x, y);
        let alpha = (SOLVER_SCALE * SOLVER_SCALE) as f32;
        let plain = f32::fit_budget(&dataset, alpha, 30, None).unwrap();
        let (remembered, counts) =
            products::with_constant(dataset.records().as_slice_memory_order().unwrap(), || {
                f32::fit_budget(&dataset, alpha, 30, None).unwrap()
            });
        assert_eq!(f32::weights(&remembered), f32::weights(&plain));
        // At least the gradient L-BFGS asks for after each line search repeats products just
        // made (30 iterations).
        assert!(
            counts.remembered >= 30 && counts.computed >= 30,
            "{counts:?}"
        );
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
