//! The network: Dense 128 ReLU, Dropout, Dense 64 ReLU, Dropout, Dense 10 (logits).

use burn::module::Module;
use burn::nn::{Dropout, DropoutConfig, Initializer, Linear, Relu};
use burn::prelude::*;

/// The Keras twin's MLP.
#[derive(Module, Debug)]
pub struct Mlp {
    hidden: Vec<Linear>,
    output: Linear,
    dropout: Dropout,
    activation: Relu,
}

/// Shape of the network.
#[derive(Debug, Clone, PartialEq)]
pub struct MlpShape {
    /// Hidden layer widths.
    pub hidden: Vec<usize>,
    /// Dropout probability after each hidden layer.
    pub dropout: f64,
}

/// A dense layer initialised as Keras does: Glorot-uniform weights, zero biases.
fn dense(d_input: usize, d_output: usize, device: &Device) -> Linear {
    Linear {
        weight: Initializer::XavierUniform { gain: 1.0 }.init_with(
            [d_input, d_output],
            Some(d_input),
            Some(d_output),
            device,
        ),
        bias: Some(Initializer::Zeros.init([d_output], device)),
    }
}

impl Mlp {
    /// A freshly initialised network on `device` (seed the device first for reproducibility).
    pub fn new(shape: &MlpShape, device: &Device) -> Self {
        let widths: Vec<usize> = std::iter::once(mnist_data::IMAGE_PIXELS)
            .chain(shape.hidden.iter().copied())
            .collect();
        Self {
            hidden: widths
                .windows(2)
                .map(|w| dense(w[0], w[1], device))
                .collect(),
            output: dense(*widths.last().unwrap_or(&1), mnist_data::N_CLASSES, device),
            dropout: DropoutConfig::new(shape.dropout).init(),
            activation: Relu::new(),
        }
    }

    /// Logits for a batch of flattened images, `[batch, 784] -> [batch, 10]`. Dropout is active
    /// only on an autodiff device (training).
    pub fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let mut x = images;
        for layer in &self.hidden {
            x = self
                .dropout
                .forward(self.activation.forward(layer.forward(x)));
        }
        self.output.forward(x)
    }
}

impl burn_common::training::Network for Mlp {
    fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        Mlp::forward(self, images)
    }
}
