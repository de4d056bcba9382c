//! The network: Dense 128 ReLU, Dropout, Dense 64 ReLU, Dropout, Dense 10 (logits), its weights
//! held as candle tensors (`[in, out]` weights, `[out]` biases), saved and read back as
//! safetensors.
//!
//! Initialisation as Keras and the burn backend: Glorot-uniform weights (limit
//! √(6 / (fan_in + fan_out))), zero biases, drawn from the run's seeded generator
//! (`candle_common::training` says why).

use std::path::Path;

use bench_core::TrainError;
use bench_core::weights::{Values, Weights};
use candle_common::candle_error;
use candle_common::training::{Logits, Masks, Network, Param};
use candle_core::{DType, Device, Tensor, Var};
use mnist_data::{IMAGE_PIXELS, N_CLASSES, Rng};

/// Shape of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpShape {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Dropout probability after each hidden layer.
    pub dropout: f64,
}

impl MlpShape {
    /// Layer widths, input first: 784, the hidden widths, 10.
    pub fn widths(&self) -> Vec<usize> {
        std::iter::once(IMAGE_PIXELS)
            .chain(self.hidden.iter().copied())
            .chain(std::iter::once(N_CLASSES))
            .collect()
    }
}

/// One dense layer: `x · weight + bias`.
#[derive(Debug, Clone)]
pub struct Dense<T> {
    /// `[in, out]`.
    pub weight: T,
    /// `[out]`.
    pub bias: T,
}

/// The network, its parameters of type `T`: [`Var`] while it trains, [`Tensor`] once fitted.
#[derive(Debug, Clone)]
pub struct Mlp<T> {
    /// Every layer, the output layer last.
    pub layers: Vec<Dense<T>>,
}

impl Mlp<Var> {
    /// A freshly initialised network for training on `device`, drawn from `rng`.
    pub fn new(shape: &MlpShape, rng: &mut Rng, device: &Device) -> Result<Self, TrainError> {
        let layers = shape
            .widths()
            .windows(2)
            .map(|w| {
                let (fan_in, fan_out) = (w[0], w[1]);
                let limit = (6.0 / (fan_in + fan_out) as f64).sqrt();
                let weight: Vec<f32> = (0..fan_in * fan_out)
                    .map(|_| ((2.0 * rng.next_f64() - 1.0) * limit) as f32)
                    .collect();
                Ok(Dense {
                    weight: Var::from_vec(weight, (fan_in, fan_out), device)?,
                    bias: Var::zeros(fan_out, DType::F32, device)?,
                })
            })
            .collect::<candle_core::Result<_>>()
            .map_err(candle_error)?;
        Ok(Self { layers })
    }
}

impl Network for Mlp<Var> {
    type Fitted = Mlp<Tensor>;

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

    fn fitted(&self) -> Mlp<Tensor> {
        Mlp {
            layers: self
                .layers
                .iter()
                .map(|l| Dense {
                    weight: l.weight.as_detached_tensor(),
                    bias: l.bias.as_detached_tensor(),
                })
                .collect(),
        }
    }
}

impl Logits for Mlp<Tensor> {
    fn logits(&self, images: &Tensor) -> candle_core::Result<Tensor> {
        self.forward(images, None)
    }
}

impl<T: Param> Mlp<T> {
    /// Logits for a batch of flattened images, `[n, 784] -> [n, 10]`, with a dropout mask after
    /// each hidden layer drawn from `dropout` (training), or none (evaluation: dropout off).
    pub fn forward(
        &self,
        images: &Tensor,
        mut dropout: Option<&mut Masks<'_>>,
    ) -> candle_core::Result<Tensor> {
        let mut x = images.clone();
        let last = self.layers.len() - 1;
        for (i, layer) in self.layers.iter().enumerate() {
            x = x
                .matmul(layer.weight.tensor())?
                .broadcast_add(layer.bias.tensor())?;
            if i < last {
                x = x.relu()?;
                if let Some(masks) = dropout.as_deref_mut() {
                    x = masks.apply(&x)?;
                }
            }
        }
        Ok(x)
    }

    /// Number of trainable parameters.
    pub fn param_count(&self) -> usize {
        self.layers
            .iter()
            .map(|l| l.weight.tensor().elem_count() + l.bias.tensor().elem_count())
            .sum()
    }
}

/// The names of layer `i`'s tensors in a weights file.
fn names(i: usize) -> [String; 2] {
    [format!("layers.{i}.weight"), format!("layers.{i}.bias")]
}

impl Mlp<Tensor> {
    /// Writes the weights to `path` (safetensors, `layers.I.weight` as `[in, out]`).
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
        let names: Vec<[String; 2]> = (0..self.layers.len()).map(names).collect();
        let mut tensors = Vec::new();
        for ((layer, [w, b]), [wn, bn]) in self.layers.iter().zip(&values).zip(&names) {
            tensors.push((wn.as_str(), layer.weight.dims().to_vec(), Values::F32(w)));
            tensors.push((bn.as_str(), layer.bias.dims().to_vec(), Values::F32(b)));
        }
        bench_core::weights::write(path, &tensors)
    }

    /// Reads weights written by [`Mlp::save`] into a network of `shape` on `device`; an error
    /// names the file and the tensor that does not fit.
    pub fn load(path: &Path, shape: &MlpShape, device: &Device) -> Result<Self, TrainError> {
        let weights = Weights::read(path)?;
        let expected = 2 * (shape.hidden.len() + 1);
        let found = weights.shapes()?.len();
        if found != expected {
            return Err(TrainError::Backend(format!(
                "{}: {found} tensors, where a network of hidden widths {:?} has {expected}; \
                 the model was saved with other settings",
                path.display(),
                shape.hidden
            )));
        }
        let layers = shape
            .widths()
            .windows(2)
            .enumerate()
            .map(|(i, w)| {
                let [wn, bn] = names(i);
                let weight = weights.f32(&wn, &[w[0], w[1]])?;
                let bias = weights.f32(&bn, &[w[1]])?;
                let fail =
                    |e: candle_core::Error| TrainError::Backend(format!("{}: {e}", path.display()));
                Ok(Dense {
                    weight: Tensor::from_vec(weight, (w[0], w[1]), device).map_err(fail)?,
                    bias: Tensor::from_vec(bias, w[1], device).map_err(fail)?,
                })
            })
            .collect::<Result<_, TrainError>>()?;
        Ok(Self { layers })
    }
}
