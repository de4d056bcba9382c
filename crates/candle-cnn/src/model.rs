//! The network: conv 3x3 (32) → ReLU → max-pool 2 → conv 3x3 (64) → ReLU → max-pool 2 → dense
//! 128 → ReLU → dropout → dense 10 (logits), on images kept as 1x28x28, in candle's own layers
//! and in the textbook order (candle as it ships: its `conv2d`, `max_pool2d`, `matmul`).
//!
//! Initialisation as PyTorch's defaults (and burn's, which follow them): every weight and bias
//! uniform in ±1/√fan_in, where fan_in is a convolution's input channels × 3 × 3 or a dense
//! layer's inputs (PyTorch's Kaiming-uniform with a = √5 gives that bound), drawn from the run's
//! seeded generator (`candle_common::training` says why). Saved and read back as safetensors.

use std::path::Path;

use bench_core::TrainError;
use bench_core::weights::{Values, Weights};
use candle_common::candle_error;
use candle_common::training::{Logits, Masks, Network, Param};
use candle_core::{Device, Tensor, Var};
use mnist_data::{N_CLASSES, Rng, SIDE};

/// Channels of the two convolutions.
const CHANNELS: [usize; 2] = [32, 64];
/// Side of a convolution's square kernel.
const KERNEL: usize = 3;
/// Units of the dense hidden layer.
const DENSE: usize = 128;
/// Side of the feature maps after the second pooling: 28 → 26 → 13 → 11 → 5.
const POOLED: usize = ((SIDE - 2) / 2 - 2) / 2;

/// One layer's parameters: a weight and a bias.
#[derive(Debug, Clone)]
pub struct Layer<T> {
    /// A convolution's `[out, in, 3, 3]`, a dense layer's `[in, out]`.
    pub weight: T,
    /// `[out]`.
    pub bias: T,
}

/// The CNN, its parameters of type `T`: [`Var`] while it trains, [`Tensor`] once fitted.
#[derive(Debug, Clone)]
pub struct Cnn<T> {
    /// conv1, conv2, dense, output, in that order.
    pub layers: [Layer<T>; 4],
}

/// Each layer's name in a weights file, its weight's shape and its fan-in.
fn layout() -> [(&'static str, Vec<usize>, usize); 4] {
    let conv = |input: usize, output: usize| vec![output, input, KERNEL, KERNEL];
    let flat = CHANNELS[1] * POOLED * POOLED;
    [
        ("conv1", conv(1, CHANNELS[0]), KERNEL * KERNEL),
        (
            "conv2",
            conv(CHANNELS[0], CHANNELS[1]),
            CHANNELS[0] * KERNEL * KERNEL,
        ),
        ("dense", vec![flat, DENSE], flat),
        ("output", vec![DENSE, N_CLASSES], DENSE),
    ]
}

/// The number of outputs of a layer whose weight has `shape`.
fn outputs(shape: &[usize]) -> usize {
    if shape.len() == 4 { shape[0] } else { shape[1] }
}

impl Cnn<Var> {
    /// A freshly initialised network for training on `device`, drawn from `rng`.
    pub fn new(rng: &mut Rng, device: &Device) -> Result<Self, TrainError> {
        let mut draw = |len: usize, fan_in: usize| -> Vec<f32> {
            let bound = 1.0 / (fan_in as f64).sqrt();
            (0..len)
                .map(|_| ((2.0 * rng.next_f64() - 1.0) * bound) as f32)
                .collect()
        };
        let layers = layout()
            .into_iter()
            .map(|(_, shape, fan_in)| {
                let weight = draw(shape.iter().product(), fan_in);
                let bias = draw(outputs(&shape), fan_in);
                let len = bias.len();
                Ok(Layer {
                    weight: Var::from_vec(weight, shape, device)?,
                    bias: Var::from_vec(bias, len, device)?,
                })
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(candle_error)?;
        Ok(Self {
            layers: four(layers)?,
        })
    }
}

/// The four layers of a `Vec` built from [`layout`].
fn four<T>(layers: Vec<Layer<T>>) -> Result<[Layer<T>; 4], TrainError> {
    layers
        .try_into()
        .map_err(|_| TrainError::Backend("the cnn has four layers".to_string()))
}

impl<T: Param> Cnn<T> {
    /// Logits for a batch of flattened images, `[n, 784] -> [n, 10]`, with dropout before the
    /// last layer drawn from `dropout` (training), or none (evaluation).
    pub fn forward(
        &self,
        images: &Tensor,
        dropout: Option<&mut Masks<'_>>,
    ) -> candle_core::Result<Tensor> {
        let n = images.dims()[0];
        let x = images.reshape((n, 1, SIDE, SIDE))?;
        let x = self.block(&self.layers[0], &x)?;
        let x = self.block(&self.layers[1], &x)?;
        let [_, _, dense, output] = &self.layers;
        let x = x
            .flatten_from(1)?
            .matmul(dense.weight.tensor())?
            .broadcast_add(dense.bias.tensor())?
            .relu()?;
        let x = match dropout {
            Some(masks) => masks.apply(&x)?,
            None => x,
        };
        x.matmul(output.weight.tensor())?
            .broadcast_add(output.bias.tensor())
    }

    /// Convolution with bias → ReLU → max-pool 2, candle's layers in the textbook order.
    fn block(&self, conv: &Layer<T>, x: &Tensor) -> candle_core::Result<Tensor> {
        let channels = conv.bias.tensor().elem_count();
        x.conv2d(conv.weight.tensor(), 0, 1, 1, 1)?
            .broadcast_add(&conv.bias.tensor().reshape((1, channels, 1, 1))?)?
            .relu()?
            .max_pool2d(2)
    }

    /// Number of trainable parameters.
    pub fn param_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.tensor().elem_count() + l.bias.tensor().elem_count())
            .sum()
    }
}

impl Network for Cnn<Var> {
    type Fitted = Cnn<Tensor>;

    fn vars(&self) -> Vec<Var> {
        self.layers
            .iter()
            .flat_map(|l| [l.weight.clone(), l.bias.clone()])
            .collect()
    }

    fn forward_train(
        &self,
        images: &Tensor,
        dropout: &mut Masks<'_>,
    ) -> candle_core::Result<Tensor> {
        self.forward(images, Some(dropout))
    }

    fn fitted(&self) -> Cnn<Tensor> {
        Cnn {
            layers: self.layers.clone().map(|l| Layer {
                weight: l.weight.as_detached_tensor(),
                bias: l.bias.as_detached_tensor(),
            }),
        }
    }
}

impl Logits for Cnn<Tensor> {
    fn logits(&self, images: &Tensor) -> candle_core::Result<Tensor> {
        self.forward(images, None)
    }
}

impl Cnn<Tensor> {
    /// Writes the weights to `path` (safetensors: `conv1.weight`, `conv1.bias`, … `output.bias`).
    pub fn save(&self, path: &Path) -> Result<(), TrainError> {
        let fail = |e: candle_core::Error| TrainError::Backend(format!("{}: {e}", path.display()));
        let values = self
            .layers
            .iter()
            .map(|l| {
                Ok([
                    l.weight.flatten_all()?.to_vec1::<f32>()?,
                    l.bias.to_vec1::<f32>()?,
                ])
            })
            .collect::<candle_core::Result<Vec<_>>>()
            .map_err(fail)?;
        let names: Vec<[String; 2]> = layout()
            .iter()
            .map(|(name, _, _)| [format!("{name}.weight"), format!("{name}.bias")])
            .collect();
        let mut tensors = Vec::new();
        for ((layer, [w, b]), [wn, bn]) in self.layers.iter().zip(&values).zip(&names) {
            tensors.push((wn.as_str(), layer.weight.dims().to_vec(), Values::F32(w)));
            tensors.push((bn.as_str(), layer.bias.dims().to_vec(), Values::F32(b)));
        }
        bench_core::weights::write(path, &tensors)
    }

    /// Reads weights written by [`Cnn::save`] onto `device`; an error names the file and the
    /// tensor that is missing or does not fit.
    pub fn load(path: &Path, device: &Device) -> Result<Self, TrainError> {
        let weights = Weights::read(path)?;
        let fail = |e: candle_core::Error| TrainError::Backend(format!("{}: {e}", path.display()));
        let layers = layout()
            .into_iter()
            .map(|(name, shape, _)| {
                let out = outputs(&shape);
                let weight = weights.f32(&format!("{name}.weight"), &shape)?;
                let bias = weights.f32(&format!("{name}.bias"), &[out])?;
                Ok(Layer {
                    weight: Tensor::from_vec(weight, shape, device).map_err(fail)?,
                    bias: Tensor::from_vec(bias, out, device).map_err(fail)?,
                })
            })
            .collect::<Result<Vec<_>, TrainError>>()?;
        Ok(Self {
            layers: four(layers)?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_network_has_the_cnns_shapes_and_pytorchs_initial_bounds() {
        let model = Cnn::new(&mut Rng::new(1), &Device::Cpu).unwrap();
        // The same count as the burn cnn and the PyTorch twin.
        let expected = (9 * 32 + 32) + (288 * 64 + 64) + (1600 * 128 + 128) + (128 * 10 + 10);
        assert_eq!(model.param_count(), expected);
        for (layer, (name, _, fan_in)) in model.layers.iter().zip(layout()) {
            let bound = (1.0 / (fan_in as f64).sqrt()) as f32;
            for t in [&layer.weight, &layer.bias] {
                let v = t.flatten_all().unwrap().to_vec1::<f32>().unwrap();
                let max = v.iter().fold(0.0f32, |m, x| m.max(x.abs()));
                assert!(max <= bound, "{name}: {max} > {bound}");
                // Spread over the range, not bunched near zero.
                assert!(max > 0.5 * bound, "{name}: {max} of {bound}");
            }
        }
        let x = Tensor::zeros((3, SIDE * SIDE), candle_core::DType::F32, &Device::Cpu).unwrap();
        assert_eq!(model.fitted().logits(&x).unwrap().dims(), [3, N_CLASSES]);
    }
}
