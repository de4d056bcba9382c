//! The float types a fit runs in: the `linfa.precision` setting, and the trait through which
//! the generic code reaches linfa-logistic in `f32` or `f64`.

use std::fmt;
use std::str::FromStr;

use bench_core::TrainError;
use linfa::prelude::*;
use linfa_logistic::{MultiFittedLogisticRegression, MultiLogisticRegression};
use ndarray_linfa::{Array1, Array2, ArrayView2};

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
