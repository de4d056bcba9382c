//! The training loop, written out as the burn backend's is: each epoch reshuffled with the run's
//! seed, batches of `batch_size`, a dropout mask per hidden layer and batch, Adam, and every
//! epoch's numbers to the observer; validation with dropout off.

use std::time::Instant;

use bench_core::{EpochStats, Observer, TrainData, TrainError};
use candle_core::{Device, Tensor};
use candle_nn::{AdamW, Optimizer, ParamsAdamW};
use mnist_data::{Dataset, IMAGE_PIXELS, Rng};

use crate::candle_error;
use crate::model::{Mlp, MlpShape, Param};

/// Adam as the burn backend runs it (Keras' defaults, which the notebook used): β1 0.9,
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
}

/// Trains a fresh network of `shape` on `device` and returns its fitted weights.
pub fn train(
    device: &Device,
    shape: &MlpShape,
    data: &TrainData<'_>,
    opts: &Options,
    observer: &mut dyn Observer,
) -> Result<Mlp<Tensor>, TrainError> {
    let mut init = Rng::derive(opts.seed, "candle-init");
    let mut shuffle = Rng::derive(opts.seed, "candle-shuffle");
    let mut dropout = Rng::derive(opts.seed, "candle-dropout");
    let model = Mlp::new(shape, &mut init, device)?;
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
            let masks = dropout_masks(shape, rows, &mut dropout, device)?;
            let (batch_loss, batch_correct) = (|| {
                let x = Tensor::from_slice(pixels, (rows, IMAGE_PIXELS), device)?;
                let y = Tensor::from_vec(labels, rows, device)?;
                let logits = model.forward(&x, &masks)?;
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
        // On the weights detached from training (sharing their storage): no graph is recorded.
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

/// One mask per hidden layer, `[rows, width]`: 0 with the dropout probability, else
/// 1 / (1 - p), as Keras' and burn's inverted dropout. None when the rate is 0.
fn dropout_masks(
    shape: &MlpShape,
    rows: usize,
    rng: &mut Rng,
    device: &Device,
) -> Result<Vec<Tensor>, TrainError> {
    if shape.dropout == 0.0 {
        return Ok(Vec::new());
    }
    let keep = (1.0 / (1.0 - shape.dropout)) as f32;
    shape
        .hidden
        .iter()
        .map(|&width| {
            let mask: Vec<f32> = (0..rows * width)
                .map(|_| {
                    if rng.next_f64() < shape.dropout {
                        0.0
                    } else {
                        keep
                    }
                })
                .collect();
            Tensor::from_vec(mask, (rows, width), device).map_err(candle_error)
        })
        .collect()
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
pub fn predict_proba<T: Param>(
    model: &Mlp<T>,
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
            let proba = candle_nn::ops::softmax_last_dim(&model.forward(&x, &[])?)?;
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
        let shape = MlpShape {
            hidden: vec![200, 100],
            dropout: 0.25,
        };
        let mut rng = Rng::new(3);
        let masks = dropout_masks(&shape, 50, &mut rng, &Device::Cpu).unwrap();
        assert_eq!(masks.len(), 2);
        for (mask, width) in masks.iter().zip([200, 100]) {
            assert_eq!(mask.dims(), [50, width]);
            let values = mask.flatten_all().unwrap().to_vec1::<f32>().unwrap();
            let dropped = values.iter().filter(|&&v| v == 0.0).count() as f64;
            assert!(
                values.iter().all(|&v| v == 0.0 || v == 1.0 / 0.75),
                "{values:?}"
            );
            let rate = dropped / values.len() as f64;
            // 10,000 or 5,000 draws: the rate within 0.03 of 0.25 (over 4 standard errors).
            assert!((rate - 0.25).abs() < 0.03, "{rate}");
        }
        let none = MlpShape {
            dropout: 0.0,
            ..shape
        };
        assert!(
            dropout_masks(&none, 50, &mut rng, &Device::Cpu)
                .unwrap()
                .is_empty()
        );
    }
}
