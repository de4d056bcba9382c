//! The training loop every candle backend runs, written out as the burn backends' is: each epoch
//! reshuffled with the run's seed, batches of `batch_size`, dropout masks drawn from the run's
//! seeded generator, Adam, and every epoch's numbers to the observer; validation with dropout
//! off. It trains any [`Network`], so that the seeding, the flush setting and the evaluation are
//! written once.
//!
//! Initial weights and dropout masks come from the run's seeded generator (`mnist_data::Rng`),
//! not candle's: candle's CPU random generator cannot be seeded (`Device::set_seed` fails on the
//! CPU device), and a comparison has to be reproducible.

use std::time::Instant;

use bench_core::denormals::Flush;
use bench_core::{EpochStats, Observer, TrainData, TrainError};
use candle_core::{Device, Tensor, Var};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use mnist_data::{Dataset, IMAGE_PIXELS, Rng};

use crate::candle_error;

/// A parameter as a tensor: a [`Var`] (training) or a [`Tensor`] (fitted).
pub trait Param {
    /// The parameter's current value.
    fn tensor(&self) -> &Tensor;
}

impl Param for Var {
    fn tensor(&self) -> &Tensor {
        self.as_tensor()
    }
}

impl Param for Tensor {
    fn tensor(&self) -> &Tensor {
        self
    }
}

/// A network's logits for a batch of flattened images, `[n, 784] -> [n, 10]`, dropout off.
pub trait Logits {
    /// The logits.
    fn logits(&self, images: &Tensor) -> candle_core::Result<Tensor>;
}

/// A candle network the loop trains: its parameters as [`Var`]s.
pub trait Network {
    /// The network once trained, its parameters detached from training.
    type Fitted: Logits;

    /// Every trainable parameter, for the optimiser.
    fn vars(&self) -> Vec<Var>;

    /// Logits of a training batch `[n, 784]`, dropout drawn from `dropout`.
    fn forward_train(
        &self,
        images: &Tensor,
        dropout: &mut Masks<'_>,
    ) -> candle_core::Result<Tensor>;

    /// The weights detached from training (sharing their storage): no graph is recorded.
    fn fitted(&self) -> Self::Fitted;
}

/// Inverted dropout at one rate, its masks drawn from the run's generator.
pub struct Masks<'a> {
    /// The dropout probability.
    pub rate: f64,
    /// The run's dropout stream.
    pub rng: &'a mut Rng,
}

impl Masks<'_> {
    /// `x` (`[rows, width]`) times a mask of its shape: 0 with the dropout probability, else
    /// 1 / (1 - p), as Keras' and burn's inverted dropout; `x` itself when the rate is 0 (no
    /// draw).
    pub fn apply(&mut self, x: &Tensor) -> candle_core::Result<Tensor> {
        if self.rate == 0.0 {
            return Ok(x.clone());
        }
        let mask = self.mask(x.elem_count());
        x.mul(&Tensor::from_vec(mask, x.dims(), x.device())?)
    }

    /// `len` mask values, drawn in order.
    pub fn mask(&mut self, len: usize) -> Vec<f32> {
        let keep = (1.0 / (1.0 - self.rate)) as f32;
        (0..len)
            .map(|_| {
                if self.rng.next_f64() < self.rate {
                    0.0
                } else {
                    keep
                }
            })
            .collect()
    }
}

/// Adam as the burn backends run it (Keras' defaults, which the notebook used): β1 0.9,
/// β2 0.999, ε 1e-7. candle's `AdamW` with no weight decay is Adam, and its update is burn's:
/// the bias-corrected first moment over √(bias-corrected second moment) + ε.
pub fn adam(learning_rate: f64) -> ParamsAdamW {
    ParamsAdamW {
        lr: learning_rate,
        beta1: 0.9,
        beta2: 0.999,
        eps: 1e-7,
        weight_decay: 0.0,
    }
}

/// The optimizer the loop runs, as a run's settings record it.
pub const OPTIMIZER: &str = "Adam(beta1 0.9, beta2 0.999, eps 1e-7)";

/// What the loop needs to know.
#[derive(Debug, Clone)]
pub struct Options {
    /// Passes over the training set.
    pub epochs: usize,
    /// Images per step.
    pub batch_size: usize,
    /// Adam's step size.
    pub learning_rate: f64,
    /// Seed of initialisation, shuffles and dropout masks.
    pub seed: u64,
    /// The dropout rate the network's masks are drawn at.
    pub dropout: f64,
    /// Whether subnormal floats are flushed to zero while it trains (the `flush` setting).
    pub flush: Flush,
}

/// Trains a fresh network, made by `build` on `device` from the run's initialisation stream,
/// and returns its fitted weights.
pub fn train<N: Network>(
    device: &Device,
    data: &TrainData<'_>,
    opts: &Options,
    build: impl FnOnce(&mut Rng) -> Result<N, TrainError>,
    observer: &mut dyn Observer,
) -> Result<N::Fitted, TrainError> {
    // Subnormals flushed on every thread candle computes on, when set (see `flush`).
    let _flush = crate::flush::guard(opts.flush);
    let mut init = Rng::derive(opts.seed, "candle-init");
    let mut shuffle = Rng::derive(opts.seed, "candle-shuffle");
    let mut dropout = Rng::derive(opts.seed, "candle-dropout");
    let model = build(&mut init)?;
    let mut optim = AdamW::new(model.vars(), adam(opts.learning_rate)).map_err(candle_error)?;
    let n = data.train.len();
    let n_batches = n.div_ceil(opts.batch_size);
    let mut pixels = vec![0.0f32; opts.batch_size.min(n) * IMAGE_PIXELS];

    for epoch in 1..=opts.epochs {
        let started = Instant::now();
        let order = shuffle.permutation(n);
        let mut loss_sum = 0.0f64;
        let mut correct = 0usize;
        for (step, indices) in order.chunks(opts.batch_size).enumerate() {
            let rows = indices.len();
            let pixels = &mut pixels[..rows * IMAGE_PIXELS];
            data.train.fill_batch(indices, pixels);
            let labels: Vec<u32> = indices
                .iter()
                .map(|&i| u32::from(data.train.labels()[i]))
                .collect();
            let mut masks = Masks {
                rate: opts.dropout,
                rng: &mut dropout,
            };
            let (batch_loss, batch_correct) = (|| {
                let x = Tensor::from_slice(pixels, (rows, IMAGE_PIXELS), device)?;
                let y = Tensor::from_vec(labels, rows, device)?;
                let logits = model.forward_train(&x, &mut masks)?;
                let loss = candle_nn::loss::cross_entropy(&logits, &y)?;
                let batch_loss = f64::from(loss.to_scalar::<f32>()?);
                if bench_core::diverged(batch_loss) {
                    return Ok((batch_loss, 0));
                }
                let correct = count_correct(&logits, data.train, indices)?;
                optim.backward_step(&loss)?;
                Ok((batch_loss, correct))
            })()
            .map_err(candle_error)?;
            if bench_core::diverged(batch_loss) {
                return Err(TrainError::Diverged {
                    step: epoch,
                    loss: batch_loss,
                });
            }
            loss_sum += batch_loss * rows as f64;
            correct += batch_correct;
            observer.batch(step + 1, n_batches);
            if observer.cancelled() {
                return Err(TrainError::Cancelled);
            }
        }
        let (validation_loss, validation_accuracy) =
            data.validate(|v| predict_proba(&model.fitted(), v, device))?;
        observer.epoch(&EpochStats {
            step: epoch,
            train_loss: loss_sum / n as f64,
            train_accuracy: correct as f64 / n as f64,
            validation_loss,
            validation_accuracy,
            seconds: started.elapsed().as_secs_f64(),
        });
    }
    Ok(model.fitted())
}

fn count_correct(
    logits: &Tensor,
    train: &Dataset,
    indices: &[usize],
) -> candle_core::Result<usize> {
    let predicted = logits.argmax(1)?.to_vec1::<u32>()?;
    Ok(predicted
        .iter()
        .zip(indices)
        .filter(|(p, i)| **p == u32::from(train.labels()[**i]))
        .count())
}

/// Class probabilities of every image in `data` (`n x 10`), dropout off.
pub fn predict_proba(
    model: &impl Logits,
    data: &Dataset,
    device: &Device,
) -> Result<Vec<f32>, TrainError> {
    bench_core::network::predict_in_chunks(data, |start, end| {
        (|| {
            let x = Tensor::from_vec(
                data.range_f32(start, end),
                (end - start, IMAGE_PIXELS),
                device,
            )?;
            let proba = candle_nn::ops::softmax_last_dim(&model.logits(&x)?)?;
            proba.flatten_all()?.to_vec1::<f32>()
        })()
        .map_err(candle_error)
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dropout_masks_drop_at_the_rate_and_scale_the_kept_units() {
        let mut rng = Rng::new(3);
        let x = Tensor::ones((50, 200), candle_core::DType::F32, &Device::Cpu).unwrap();
        let mut masks = Masks {
            rate: 0.25,
            rng: &mut rng,
        };
        let masked = masks.apply(&x).unwrap();
        assert_eq!(masked.dims(), [50, 200]);
        let values = masked.flatten_all().unwrap().to_vec1::<f32>().unwrap();
        assert!(
            values.iter().all(|&v| v == 0.0 || v == 1.0 / 0.75),
            "{values:?}"
        );
        let dropped = values.iter().filter(|&&v| v == 0.0).count() as f64;
        let rate = dropped / values.len() as f64;
        // 10,000 draws: the rate within 0.03 of 0.25 (over 4 standard errors).
        assert!((rate - 0.25).abs() < 0.03, "{rate}");
        let mut untouched = rng.clone();
        let mut none = Masks {
            rate: 0.0,
            rng: &mut rng,
        };
        let kept = none.apply(&x).unwrap().flatten_all().unwrap();
        assert_eq!(kept.to_vec1::<f32>().unwrap(), vec![1.0; 10_000]);
        // No draw at rate 0: the stream goes on where it was.
        assert_eq!(rng.next_f64(), untouched.next_f64());
    }
}
