//! The cnn's convolutions on Flex, computed from the input unfolded into columns.
//!
//! burn 0.22.1's autodiff computes a convolution's weight gradient with its backend's
//! `conv2d_weight_backward`, which by default is another convolution with batch and channels
//! swapped: on Flex, a convolution whose 3x3 output is reduced over a 26x26 (or 11x11) "kernel",
//! the largest share of the cnn's step (docs/cnn-cpu.md). This module registers one operation
//! through burn's backend-extension mechanism, a stride-1 unpadded convolution without bias,
//! computed from the input unfolded once into columns ([`im2col`]): the forward pass is the
//! weights times each image's columns ([`conv_from_columns`]), the weight gradient the output
//! gradient times the same columns transposed, summed over the batch ([`weight_grad`]; the
//! columns are kept from the forward pass), and the input gradient is Flex's own (burn's
//! `conv2d_x_backward`). Products are per image (Flex runs them in parallel over the batch):
//! one product over the whole batch instead ([c·kh·kw, n·positions] columns) measured slower on
//! the cnn's step, for the copies it needs around it (docs/evidence/cnn-cpu/columns-layout.txt,
//! docs/cnn-cpu.md).
//!
//! [`conv2d_valid`] uses it when the tensors live on Flex and burn's `conv2d` elsewhere (the
//! generated dispatch would panic on a backend the extension does not list).

use burn::backend::{Backend, TensorMetadata, backend_extension, tensor::FloatTensor};
use burn::prelude::*;
use burn::tensor::module::conv2d;
use burn_autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use burn_autodiff::{Autodiff, NodeId};

use crate::model::conv_options as options;

/// `x` ([batch, channels, height, width]) convolved with `weight` ([out, channels, kh, kw]),
/// stride 1, no padding, no bias. On Flex through this module's operation; on any other device
/// burn's `conv2d`.
pub fn conv2d_valid(x: Tensor<4>, weight: Tensor<4>) -> Tensor<4> {
    if on_flex(&x.device()) {
        let y = <burn::backend::Dispatch as ValidConv>::conv2d_valid(
            x.into_dispatch(),
            weight.into_dispatch(),
        );
        Tensor::from_dispatch(y)
    } else {
        conv2d(x, weight, None, options())
    }
}

/// Whether `device` (or the device under its autodiff) is Flex.
pub(crate) fn on_flex(device: &Device) -> bool {
    device.clone().inner() == Device::flex()
}

/// The operation, registered for Flex and for autodiff over it.
#[backend_extension(Flex, Autodiff)]
pub trait ValidConv: Backend {
    /// A stride-1 unpadded convolution without bias.
    fn conv2d_valid(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self>;
}

impl ValidConv for burn::backend::Flex {
    fn conv2d_valid(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        forward::<Self>(x, weight).1
    }
}

impl<B: Backend + ValidConv, C: CheckpointStrategy> ValidConv for Autodiff<B, C> {
    fn conv2d_valid(x: FloatTensor<Self>, weight: FloatTensor<Self>) -> FloatTensor<Self> {
        match ValidConvBackward
            .prepare::<C>([x.node(), weight.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(mut prep) => {
                let x_state = prep.checkpoint(&x);
                let weight_state = prep.checkpoint(&weight);
                let (columns, y) = forward::<B>(x.into_primitive(), weight.into_primitive());
                prep.finish((x_state, weight_state, columns), y)
            }
            OpsKind::UnTracked(prep) => {
                prep.finish(forward::<B>(x.into_primitive(), weight.into_primitive()).1)
            }
        }
    }
}

/// The columns of `x` ([`im2col`]) and the convolution computed from them.
fn forward<B: Backend>(
    x: FloatTensor<B>,
    weight: FloatTensor<B>,
) -> (FloatTensor<B>, FloatTensor<B>) {
    let [_, _, kh, kw] = weight.shape().dims();
    let [n, _, h, w] = x.shape().dims();
    let columns = im2col::<B>(x, [kh, kw]);
    let y = conv_from_columns::<B>(columns.clone(), weight, [n, h - kh + 1, w - kw + 1]);
    (columns, y)
}

/// The backward pass: burn's input gradient (only when the input needs one), the weight
/// gradient from the forward pass's columns.
#[derive(Debug)]
struct ValidConvBackward;

impl<B: Backend> Backward<B, 2> for ValidConvBackward {
    type State = (NodeId, NodeId, FloatTensor<B>);

    fn backward(
        self,
        ops: Ops<Self::State, 2>,
        grads: &mut Gradients,
        checkpointer: &mut Checkpointer,
    ) {
        let [node_x, node_weight] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        let (x_state, weight_state, columns) = ops.state;
        let weight = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(weight_state);
        if let Some(node) = node_x {
            let x = checkpointer.retrieve_node_output::<B::FloatTensorPrimitive>(x_state);
            let dx = B::conv2d_x_backward(x, weight.clone(), grad.clone(), options());
            grads.register::<B>(node.id, dx);
        }
        if let Some(node) = node_weight {
            let dw = weight_grad::<B>(columns, grad, weight.shape());
            grads.register::<B>(node.id, dw);
        }
    }
}

/// The columns of `x` ([n, c, h, w]) for a kh x kw kernel, [n, c·kh·kw, positions]: row
/// (c, i, j) of image n holds x[n][c][a + i][b + j] for every output position (a, b). One copy
/// of a strided view of `x`.
pub fn im2col<B: Backend>(x: FloatTensor<B>, [kh, kw]: [usize; 2]) -> FloatTensor<B> {
    let [n, c, h, w] = x.shape().dims();
    // [n, c, ho, wo, kh, kw] as a view, then ordered [n, c, kh, kw, ho, wo] and copied.
    let windows = B::float_unfold(B::float_unfold(x, 2, kh, 1), 3, kw, 1);
    let windows = B::float_permute(windows, &[0, 1, 4, 5, 2, 3]);
    let positions = (h - kh + 1) * (w - kw + 1);
    B::float_reshape(windows, Shape::new([n, c * kh * kw, positions]))
}

/// The convolution from `columns` ([`im2col`]): `weight` ([o, c, kh, kw]) as an [o, c·kh·kw]
/// matrix times each image's columns, [n, o, ho, wo].
pub fn conv_from_columns<B: Backend>(
    columns: FloatTensor<B>,
    weight: FloatTensor<B>,
    [n, ho, wo]: [usize; 3],
) -> FloatTensor<B> {
    let [o, c, kh, kw] = weight.shape().dims();
    let weight = B::float_reshape(weight, Shape::new([1, o, c * kh * kw]));
    B::float_reshape(B::float_matmul(weight, columns), Shape::new([n, o, ho, wo]))
}

/// The weight gradient from the forward pass's `columns` ([`im2col`]) and the output gradient
/// `grad` ([n, o, ho, wo]): the sum over images of grad[n] ([o, positions]) times columns[n]
/// transposed, reshaped to `weight_shape` ([o, c, kh, kw]).
pub fn weight_grad<B: Backend>(
    columns: FloatTensor<B>,
    grad: FloatTensor<B>,
    weight_shape: Shape,
) -> FloatTensor<B> {
    let [n, o, ho, wo] = grad.shape().dims();
    let grad = B::float_reshape(grad, Shape::new([n, o, ho * wo]));
    let per_image = B::float_matmul(grad, B::float_swap_dims(columns, 1, 2));
    B::float_reshape(B::float_sum_dim(per_image, 0), weight_shape)
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::tensor::Distribution;

    /// Largest absolute difference between `a` and `b`, and the largest absolute value of `b`.
    fn gap(a: Tensor<4>, b: Tensor<4>) -> (f32, f32) {
        let scale = b.clone().abs().max().into_scalar::<f32>();
        ((a - b).abs().max().into_scalar::<f32>(), scale)
    }

    /// Gradients of x and weight of `sum(conv(x, weight) * probe)` by the given convolution.
    fn gradients(
        conv: impl Fn(Tensor<4>, Tensor<4>) -> Tensor<4>,
        [x, weight, probe]: [&Tensor<4>; 3],
    ) -> (Tensor<4>, Tensor<4>, Tensor<4>) {
        let (x, weight) = (x.clone().require_grad(), weight.clone().require_grad());
        let y = conv(x.clone(), weight.clone());
        let grads = (y.clone() * probe.clone()).sum().backward();
        (
            y.inner(),
            x.grad(&grads).expect("x requires a gradient"),
            weight.grad(&grads).expect("the weights require a gradient"),
        )
    }

    #[test]
    fn outputs_and_gradients_match_burns_convolution_on_the_cnns_shapes() {
        let device = Device::flex().autodiff();
        device.seed(7);
        // The cnn's two convolutions at a batch of 8, and an uneven one.
        for [n, c, side, o] in [[8, 1, 28, 32], [8, 32, 13, 64], [3, 5, 9, 7]] {
            let x = Tensor::<4>::random([n, c, side, side], Distribution::Default, &device);
            let weight = Tensor::<4>::random([o, c, 3, 3], Distribution::Normal(0.0, 0.3), &device);
            let probe = Tensor::<4>::random(
                [n, o, side - 2, side - 2],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            let ours = gradients(conv2d_valid, [&x, &weight, &probe]);
            let burns = gradients(|x, w| conv2d(x, w, None, options()), [&x, &weight, &probe]);
            let outputs = [("output", ours.0, burns.0), ("x", ours.1, burns.1)];
            for (what, a, b) in outputs.into_iter().chain([("weight", ours.2, burns.2)]) {
                let (gap, scale) = gap(a, b);
                assert!(scale > 0.1, "{what}: values up to {scale} check nothing");
                // f32 sums of up to 8·26·26 terms in another order.
                assert!(
                    gap <= 1e-4 * scale,
                    "{what}, {n}x{c}x{side}: {gap} of {scale}"
                );
            }
        }
    }

    #[test]
    fn without_autodiff_the_output_matches_burns_convolution() {
        // The path of evaluation and prediction: Flex's own implementation of the extension.
        let device = Device::flex();
        device.seed(9);
        let x = Tensor::<4>::random([4, 32, 13, 13], Distribution::Default, &device);
        let weight = Tensor::<4>::random([64, 32, 3, 3], Distribution::Normal(0.0, 0.3), &device);
        let (gap, scale) = gap(
            conv2d_valid(x.clone(), weight.clone()),
            conv2d(x, weight, None, options()),
        );
        assert!(scale > 0.1 && gap <= 1e-4 * scale, "{gap} of {scale}");
    }

    #[test]
    fn the_weight_gradient_is_the_textbook_sum() {
        // dW[o][c][i][j] = Σ_n Σ_a Σ_b grad[n][o][a][b] · x[n][c][a+i][b+j], on a 2x2x4x4 input.
        let device = Device::flex();
        let x: Vec<f32> = (0..64).map(|v| (v as f32 * 0.37).sin()).collect();
        let grad: Vec<f32> = (0..24).map(|v| (v as f32 * 0.11).cos()).collect();
        let xt = Tensor::<1>::from_floats(x.as_slice(), &device).reshape([2, 2, 4, 4]);
        let gt = Tensor::<1>::from_floats(grad.as_slice(), &device).reshape([2, 3, 2, 2]);
        type D = burn::backend::Dispatch;
        let columns = im2col::<D>(xt.into_dispatch(), [3, 3]);
        let dw = weight_grad::<D>(columns, gt.into_dispatch(), Shape::new([3, 2, 3, 3]));
        let dw = Tensor::<4>::from_dispatch(dw);
        let dw = dw.into_data().try_to_vec::<f32>().unwrap();
        for o in 0..3 {
            for c in 0..2 {
                for (i, j) in (0..3).flat_map(|i| (0..3).map(move |j| (i, j))) {
                    let mut sum = 0.0f64;
                    for n in 0..2 {
                        for (a, b) in (0..2).flat_map(|a| (0..2).map(move |b| (a, b))) {
                            sum += f64::from(grad[((n * 3 + o) * 2 + a) * 2 + b])
                                * f64::from(x[((n * 2 + c) * 4 + a + i) * 4 + b + j]);
                        }
                    }
                    let got = f64::from(dw[((o * 2 + c) * 3 + i) * 3 + j]);
                    assert!(
                        (got - sum).abs() < 1e-5,
                        "dW[{o}][{c}][{i}][{j}]: {got} vs {sum}"
                    );
                }
            }
        }
    }
}
