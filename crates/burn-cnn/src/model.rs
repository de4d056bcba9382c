//! The network: conv 3x3 (32) → ReLU → max-pool 2 → conv 3x3 (64) → ReLU → max-pool 2 → dense
//! 128 → ReLU → dropout → dense 10 (logits), on images kept as 1x28x28.
//!
//! Each convolution block is computed as convolution without bias → max-pool → + bias → ReLU:
//! the same function (a max commutes with adding one constant per channel and with ReLU, in
//! floating point too, since rounding is monotonic; gradients may differ only where rounding
//! makes two values of a pooling window tie), with the bias and ReLU on a quarter of the
//! elements; `conv_options` are the options [`Cnn::new`] builds its layers with.
//! [`Cnn::forward_reference`] keeps burn's layers in their textbook order, the
//! reference the tests hold the network to.

use burn::module::Module;
use burn::nn::conv::{Conv2d, Conv2dConfig};
use burn::nn::pool::{MaxPool2d, MaxPool2dConfig};
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn::tensor::ops::ConvOptions;
use burn_common::training::Network;
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
    /// How [`Network::forward`] computes the network (the `conv` setting).
    #[module(skip)]
    layers: Layers,
}

/// The `conv` setting: how the network is computed while it trains and predicts.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Layers {
    /// `columns`: each block as convolution → max-pool → + bias → ReLU, by
    /// [`ConvPath::Im2col`] (on Flex, the columns convolution and the cnn's own pooling;
    /// elsewhere burn's).
    #[default]
    Columns,
    /// `burn`: burn's layers in the textbook order ([`Cnn::forward_reference`]), burn as it ships.
    Burn,
}

impl Layers {
    /// The setting's value.
    pub fn name(self) -> &'static str {
        match self {
            Layers::Columns => "columns",
            Layers::Burn => "burn",
        }
    }
}

impl std::fmt::Display for Layers {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.name())
    }
}

impl std::str::FromStr for Layers {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "columns" => Ok(Layers::Columns),
            "burn" => Ok(Layers::Burn),
            _ => Err("expected columns or burn".to_string()),
        }
    }
}

impl Cnn {
    /// A freshly initialised network on `device` with `dropout` before the last layer, computed
    /// as `layers` says (seed the device first for reproducibility).
    pub fn new(dropout: f64, layers: Layers, device: &Device) -> Self {
        Self {
            conv1: Conv2dConfig::new([1, CHANNELS[0]], [3, 3]).init(device),
            conv2: Conv2dConfig::new(CHANNELS, [3, 3]).init(device),
            pool: MaxPool2dConfig::new([2, 2]).init(),
            dense: LinearConfig::new(CHANNELS[1] * POOLED * POOLED, DENSE).init(device),
            output: LinearConfig::new(DENSE, N_CLASSES).init(device),
            dropout: DropoutConfig::new(dropout).init(),
            activation: Relu::new(),
            layers,
        }
    }
}

/// How [`Cnn::forward_with`] computes a block's convolution and pooling.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ConvPath {
    /// burn's `conv2d`, its weight gradient burn's default (another convolution), and burn's
    /// max-pool layer.
    Burn,
    /// On Flex, `conv::conv2d_valid` (forward pass and weight gradient from the input unfolded
    /// into columns) and `pool::max_pool_2x2` (argmax kept for the backward pass); needs the
    /// `flex` feature; elsewhere, and without it, burn's `conv2d` and max-pool layer.
    Im2col,
}

/// Stride 1, no padding, no dilation, one group: the options of the cnn's convolutions.
pub(crate) fn conv_options() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [0, 0], [1, 1], 1)
}

impl Cnn {
    /// The logits, each block computed as convolution (by `path`) → max-pool → + bias → ReLU.
    pub fn forward_with(&self, images: Tensor<2>, path: ConvPath) -> Tensor<2> {
        let x = self.block(&self.conv1, Self::as_images(images), path);
        self.head(self.block(&self.conv2, x, path))
    }

    /// The logits as burn's layers compute them in the textbook order (convolution with bias →
    /// ReLU → max-pool): the reference the tests hold [`Cnn::forward_with`] to.
    pub fn forward_reference(&self, images: Tensor<2>) -> Tensor<2> {
        let x = Self::as_images(images);
        let x = self
            .pool
            .forward(self.activation.forward(self.conv1.forward(x)));
        let x = self
            .pool
            .forward(self.activation.forward(self.conv2.forward(x)));
        self.head(x)
    }

    fn as_images(images: Tensor<2>) -> Tensor<4> {
        let [n, _] = images.dims();
        images.reshape([n, 1, SIDE, SIDE])
    }

    fn block(&self, conv: &Conv2d, x: Tensor<4>, path: ConvPath) -> Tensor<4> {
        let weight = conv.weight.val();
        let x = match path {
            #[cfg(feature = "flex")]
            ConvPath::Im2col => crate::conv::conv2d_valid(x, weight),
            _ => conv2d(x, weight, None, conv_options()),
        };
        let x = max_pool(&self.pool, x, path);
        let x = match &conv.bias {
            Some(bias) => {
                let channels = bias.dims()[0];
                x + bias.val().reshape([1, channels, 1, 1])
            }
            None => x,
        };
        self.activation.forward(x)
    }

    /// Flatten → dense → ReLU → dropout → dense.
    fn head(&self, x: Tensor<4>) -> Tensor<2> {
        let x: Tensor<2> = x.flatten(1, 3);
        let x = self
            .dropout
            .forward(self.activation.forward(self.dense.forward(x)));
        self.output.forward(x)
    }
}

/// The 2x2 max-pooling of a block computed by `path`: on Flex, [`ConvPath::Im2col`] takes the
/// cnn's own (`pool::max_pool_2x2`, argmax kept for the backward pass), [`ConvPath::Burn`]
/// burn's `pool` layer.
fn max_pool(pool: &MaxPool2d, x: Tensor<4>, path: ConvPath) -> Tensor<4> {
    match path {
        #[cfg(feature = "flex")]
        ConvPath::Im2col => crate::pool::max_pool_2x2(x),
        _ => pool.forward(x),
    }
}

impl Network for Cnn {
    fn forward(&self, images: Tensor<2>) -> Tensor<2> {
        match self.layers {
            Layers::Columns => self.forward_with(images, ConvPath::Im2col),
            Layers::Burn => self.forward_reference(images),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::nn::loss::CrossEntropyLoss;
    use burn::tensor::{Distribution, Int};

    /// The loss of `forward` on a fixed batch and the gradients of every parameter.
    fn loss_and_gradients(
        model: &Cnn,
        forward: impl Fn(&Cnn, Tensor<2>) -> Tensor<2>,
        device: &Device,
    ) -> (f32, Vec<Tensor<1>>) {
        device.seed(5);
        let images = Tensor::<2>::random([16, SIDE * SIDE], Distribution::Default, device);
        let labels: Vec<i64> = (0..16).map(|i| (i * 7) % 10).collect();
        let labels = Tensor::<1, Int>::from_ints(labels.as_slice(), device);
        let loss = CrossEntropyLoss::new(None, device).forward(forward(model, images), labels);
        let grads = loss.backward();
        // Each convolution's weights (flattened) and bias, then the dense layers' weights.
        let conv = |c: &Conv2d| {
            let bias = c.bias.as_ref().and_then(|b| b.grad(&grads));
            [
                c.weight.grad(&grads).expect("conv weights").flatten(0, 3),
                bias.expect("conv bias"),
            ]
        };
        let dense = |l: &Linear| l.weight.grad(&grads).expect("dense weights").flatten(0, 1);
        let mut gradients = conv(&model.conv1).to_vec();
        gradients.extend(conv(&model.conv2));
        gradients.extend([dense(&model.dense), dense(&model.output)]);
        (loss.into_scalar::<f32>(), gradients)
    }

    #[test]
    fn the_reordered_network_gives_the_reference_loss_and_gradients() {
        // On Flex both paths; without the feature, on ndarray, where Im2col is burn's conv2d.
        #[cfg(feature = "flex")]
        let device = Device::flex().autodiff();
        #[cfg(not(feature = "flex"))]
        let device = burn_common::BurnDevice::Ndarray.device().autodiff();
        device.seed(11);
        // Dropout 0: the masks are the same draws either way, and the check is of the rest.
        let model = Cnn::new(0.0, Layers::Columns, &device);
        let (loss, reference) = loss_and_gradients(&model, Cnn::forward_reference, &device);
        assert!(
            loss > 1.0,
            "an untrained network's loss on 10 classes: {loss}"
        );
        for path in [ConvPath::Burn, ConvPath::Im2col] {
            let forward = |m: &Cnn, x| m.forward_with(x, path);
            let (got, gradients) = loss_and_gradients(&model, forward, &device);
            assert!(
                (got - loss).abs() <= 1e-6 * loss,
                "{path:?}: loss {got} vs {loss}"
            );
            for (i, (a, b)) in gradients.into_iter().zip(&reference).enumerate() {
                let scale = b.clone().abs().max().into_scalar::<f32>();
                let gap = (a - b.clone()).abs().max().into_scalar::<f32>();
                assert!(scale > 0.0, "{path:?}: parameter {i} has no gradient");
                assert!(
                    gap <= 1e-4 * scale,
                    "{path:?}: parameter {i}: {gap} of {scale}"
                );
            }
        }
    }
}
