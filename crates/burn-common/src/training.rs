//! The training loop, written out by hand (as in burn's custom-training-loop example) so that
//! every epoch's numbers reach the observer. It trains any [`Network`] (the MLP of `burn-mlp`,
//! the CNN of `burn-cnn`), so that burn's devices, seeding, subnormal flushing and evaluation are
//! handled once.

use std::time::Instant;

use bench_core::{EpochStats, Observer, TrainData, TrainError};
use burn::nn::loss::CrossEntropyLoss;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use mnist_data::{Dataset, N_CLASSES, Rng};

use crate::data;
use crate::denormals::Flush;
use crate::early_stop::{EarlyStop, Step};

/// A burn network that turns a batch of flattened images into logits, `[n, 784] -> [n, 10]`.
pub trait Network: Module + Clone + std::fmt::Debug + Send + 'static {
    /// Logits for a batch; dropout is active only on an autodiff device (training).
    fn forward(&self, images: Tensor<2>) -> Tensor<2>;
}

/// The optimizer the loop runs, as a run's settings record it.
pub const OPTIMIZER: &str = "Adam(beta1 0.9, beta2 0.999, eps 1e-7)";

/// What the loop needs to know.
#[derive(Debug, Clone)]
pub struct AdamOptions {
    /// Passes over the training set.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Seed of initialisation, shuffles and dropout.
    pub seed: u64,
    /// Early stopping: stop once the validation loss has not improved for this many epochs,
    /// and keep the weights of the epoch with the lowest validation loss. `None`: train every
    /// epoch and keep the last weights.
    pub patience: Option<usize>,
    /// Whether subnormal floats are flushed to zero while it trains (the `flush` setting).
    pub flush: Flush,
}

/// Trains a fresh network, made by `build` on `device` (a non-autodiff device; gradients are
/// added here, and it is seeded first), and returns the evaluation copy of the result (dropout
/// off, no autodiff).
pub fn train<N: Network>(
    device: &Device,
    data: &TrainData<'_>,
    opts: &AdamOptions,
    build: impl FnOnce(&Device) -> N,
    observer: &mut dyn Observer,
) -> Result<N, TrainError> {
    if opts.patience.is_some() && data.validation.is_none() {
        return Err(TrainError::Backend(
            "early stopping (the patience setting) watches the validation loss, and no \
             validation set was held out: give --val-fraction above 0, or leave patience off"
                .to_string(),
        ));
    }
    // One burn training at a time in this process (`serial_training`), and, with the `flush`
    // setting on, subnormals flushed to zero on this thread and rayon's workers while it trains
    // (see `denormals`).
    let _serial = crate::serial_training();
    let _flush = crate::denormals::guard(opts.flush);
    let device = device.clone().autodiff();
    device.seed(opts.seed);
    let mut model = build(&device);
    // Keras' Adam defaults, which the notebook used: epsilon 1e-7 (burn's default is 1e-5); as
    // `OPTIMIZER` says.
    let mut optim = AdamConfig::new().with_epsilon(1e-7).init();
    let loss_fn = CrossEntropyLoss::new(None, &device);
    let mut rng = Rng::derive(opts.seed, "burn-shuffle");
    let n = data.train.len();
    let n_batches = n.div_ceil(opts.batch_size);
    let mut early_stop = opts.patience.map(EarlyStop::new);

    for epoch in 1..=opts.epochs {
        let started = Instant::now();
        let order = rng.permutation(n);
        let mut loss_sum = 0.0f64;
        let mut correct = 0usize;
        for (step, indices) in order.chunks(opts.batch_size).enumerate() {
            let x = data::images(data.train, indices, &device);
            let y = data::labels(data.train, indices, &device);
            let logits = model.forward(x);
            let loss = loss_fn.forward(logits.clone(), y);
            let batch_loss = f64::from(loss.clone().into_scalar::<f32>());
            if bench_core::diverged(batch_loss) {
                return Err(TrainError::Diverged {
                    step: epoch,
                    loss: batch_loss,
                });
            }
            loss_sum += batch_loss * indices.len() as f64;
            correct += count_correct(&logits.detach().into_data(), data.train, indices)?;
            let grads = GradientsParams::from_grads(loss.backward(), &model);
            model = optim.step(opts.learning_rate, model, grads);
            observer.batch(step + 1, n_batches);
            if observer.cancelled() {
                return Err(TrainError::Cancelled);
            }
        }
        // The evaluation copy (dropout off), made once an epoch: validated, and kept if best.
        let valid = model.valid();
        let (validation_loss, validation_accuracy) = data.validate(|v| predict_proba(&valid, v))?;
        observer.epoch(&EpochStats {
            step: epoch,
            train_loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            validation_loss,
            validation_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        });
        if let (Some(stop), Some(loss)) = (early_stop.as_mut(), validation_loss)
            && stop.observe(loss, || valid) == Step::Stop
        {
            break;
        }
    }
    Ok(early_stop
        .and_then(EarlyStop::into_best)
        .unwrap_or_else(|| model.valid()))
}

fn to_vec(data: &TensorData) -> Result<Vec<f32>, TrainError> {
    data.try_to_vec::<f32>()
        .map_err(|e| TrainError::Backend(format!("reading a tensor: {e:?}")))
}

fn count_correct(
    logits: &TensorData,
    train: &Dataset,
    indices: &[usize],
) -> Result<usize, TrainError> {
    let logits = to_vec(logits)?;
    Ok(logits
        .chunks_exact(N_CLASSES)
        .zip(indices)
        .filter(|(row, i)| bench_core::argmax(row) == usize::from(train.labels()[**i]))
        .count())
}

/// Class probabilities of every image in `data` (`n x 10`), dropout off.
pub fn predict_proba<N: Network>(model: &N, data: &Dataset) -> Result<Vec<f32>, TrainError> {
    let device = model.devices().into_iter().next().unwrap_or_default();
    bench_core::network::predict_in_chunks(data, |start, end| {
        let x = data::image_range(data, start, end, &device);
        let proba = burn::tensor::activation::softmax(model.forward(x), 1);
        to_vec(&proba.into_data())
    })
}
