//! Training: the features the solver sees, and the L-BFGS fit through its iteration budgets, on
//! a thread of its own so that a cancellation is honoured at once.

use std::time::Instant;

use bench_core::{EpochStats, FittedModel, Observer, TrainData, TrainError, loss_and_accuracy};
use linfa::prelude::*;
use mnist_data::{Dataset, IMAGE_PIXELS};
use ndarray_linfa::{Array1, Array2, ShapeBuilder};

use crate::{Features, FittedLinfa, Float, Model, threads};

/// Uniform scale of the features and the constant intercept feature the solver sees (see the
/// crate docs): large enough steps for argmin's f32 line search, same optimum.
pub const SOLVER_SCALE: f64 = 0.05;

/// The pixels the solver sees: those that are not zero in every training image.
///
/// A pixel that is zero throughout the training set contributes nothing to the loss, so its
/// gradient is `alpha * w`, zero at the all-zero start; every L-BFGS direction is built from
/// gradients, so its weights stay exactly zero for the whole fit and it cannot change a
/// prediction. Leaving such pixels out (the borders: 67 of 784 in the 60k training file, 68 in
/// the notebook's 56k training part) gives the same model with a smaller matrix to multiply, and
/// the fit is bound by reading that matrix.
pub(crate) fn informative_pixels(train: &Dataset) -> Vec<usize> {
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
pub(crate) fn features<F: Float>(
    data: &Dataset,
    start: usize,
    end: usize,
    pixels: &[usize],
) -> Array2<F> {
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
pub(crate) fn fit<F: Float>(
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
/// (see [`crate::products`]).
#[cfg(feature = "blis")]
fn remembering_products<F: Float, R>(dataset: &Features<F>, fit: impl FnOnce() -> R) -> R {
    match dataset.records().as_slice_memory_order() {
        Some(x) => crate::products::with_constant(x, fit).0,
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

#[cfg(test)]
mod tests {
    use super::*;
    #[cfg(feature = "blis")]
    use crate::products;

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
}
