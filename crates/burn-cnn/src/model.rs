//! The network: conv 3x3 (32) → ReLU → max-pool 2 → conv 3x3 (64) → ReLU → max-pool 2 → dense
//! 128 → ReLU → dropout → dense 10 (logits), on images kept as 1x28x28.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::prelude::*;
use burn_mlp::training::Network;
use mnist_data::{N_CLASSES, SIDE};

/// Channels of the two convolutions.
const CHANNELS: [usize; 2] = [32, 64];
/// Units of the dense hidden layer.
const DENSE: usize = 128;
/// Side of the feature maps after the second pooling: 28 → 26 → 13 → 11 → 5.
const POOLED: usize = ((SIDE - 2) / 2 - 2) / 2;

/// The CNN. Layers use burn's default initialisation (PyTorch's: Kaiming-uniform weights and
/// uniform biases), as the PyTorch twin does.
#[derive(Module, Debug)]
pub struct Cnn {
    conv1: Conv2d,
    conv2: Conv2d,
    pool: MaxPool2d,
    dense: Linear,
    output: Linear,
    dropout: Dropout,
    activation: Relu,
}

impl Cnn {
    /// A freshly initialised network on `device` with `dropout` before the last layer (seed the
    /// device first for reproducibility).
    pub fn new(dropout: f64, device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, CHANNELS[0]], [3, 3]).init(device),
            conv2: Conv2dConfig::new(CHANNELS, [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dense: LinearConfig::new(CHANNELS[1] * POOLED * POOLED, DENSE).init(device),
            output: LinearConfig::new(DENSE, N_CLASSES).init(device),
            dropout: DropoutConfig::new(dropout).init(),
            activation: Relu::new(),
        }
    }
}

impl Network for Cnn {
    fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        let [n, _] = images.dims();
        let x = images.reshape([n, 1, SIDE, SIDE]);
        let x = self
            .pool
            .forward(self.activation.forward(self.conv1.forward(x)));
        let x = self
            .pool
            .forward(self.activation.forward(self.conv2.forward(x)));
        let x: Tensor<2> = x.flatten(1, 3);
        let x = self
            .dropout
            .forward(self.activation.forward(self.dense.forward(x)));
        self.output.forward(x)
    }
}
