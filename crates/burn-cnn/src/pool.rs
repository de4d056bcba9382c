//! The cnn's 2x2 max-pooling on Flex, with each window's argmax kept for the backward pass.
//!
//! burn's `max_pool2d` on Flex is the largest part of the cnn's training step after the second
//! convolution (docs/cnn-cpu.md, "The step, op by op"). This module registers one operation
//! through burn's backend-extension mechanism: a 2x2 max-pool of stride 2 without padding
//! (a trailing odd row or column is dropped, as burn's and PyTorch's pooling drop it). Its
//! forward pass is one sweep over the input that writes each window's maximum and the position
//! it came from; its backward pass writes each output's gradient to that position of a zeroed
//! input gradient. Planes (image, channel) run in parallel on rayon's pool.
//!
//! [`max_pool_2x2`] uses it for f32 tensors on Flex and burn's `max_pool2d` elsewhere. On ties
//! the first position of the window (row by row) wins; a NaN wins over any number, so that a
//! diverging run still shows NaN in its loss.

use burn::backend::{Backend, TensorMetadata, backend_extension, tensor::FloatTensor};
use burn::prelude::*;
use burn::tensor::module::max_pool2d;
use burn::tensor::ops::MaxPoolOptions;
use burn::tensor::{DType, Shape};
use burn_autodiff::Autodiff;
use burn_autodiff::checkpoint::{base::Checkpointer, strategy::CheckpointStrategy};
use burn_autodiff::grads::Gradients;
use burn_autodiff::ops::{Backward, Ops, OpsKind};
use rayon::prelude::*;

/// `x` ([n, c, h, w]) max-pooled over 2x2 windows with stride 2: [n, c, h / 2, w / 2]. On Flex
/// (f32) through this module's operation; otherwise burn's `max_pool2d`.
pub fn max_pool_2x2(x: Tensor<4>) -> Tensor<4> {
    if on_this_kernel(&x) {
        let y = <burn::backend::Dispatch as MaxPool2x2>::max_pool_2x2(x.into_dispatch());
        Tensor::from_dispatch(y)
    } else {
        max_pool2d(x, MaxPoolOptions::new([2, 2]))
    }
}

/// Whether [`max_pool_2x2`] runs this module's kernel for `x` (f32 on Flex, with or without
/// autodiff) rather than burn's `max_pool2d`.
fn on_this_kernel(x: &Tensor<4>) -> bool {
    crate::conv::on_flex(&x.device()) && x.dtype() == DType::F32
}

/// The operation, registered for Flex and for autodiff over it.
#[backend_extension(Flex, Autodiff)]
pub trait MaxPool2x2: Backend {
    /// A 2x2 max-pool of stride 2 without padding.
    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self>;
}

/// The kernels behind [`MaxPool2x2`] and its backward pass.
pub trait PoolKernels: Backend {
    /// The pooled tensor and, for each of its elements, the offset within its plane (h x w) of
    /// the input element it came from.
    fn pool_with_argmax(x: FloatTensor<Self>) -> (FloatTensor<Self>, Vec<u32>);
    /// The input gradient ([n, c, h, w] = `shape`): each element of `grad` written at its
    /// argmax, zero elsewhere.
    fn pool_backward(grad: FloatTensor<Self>, argmax: &[u32], shape: Shape) -> FloatTensor<Self>;
}

impl MaxPool2x2 for burn::backend::Flex {
    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        Self::pool_with_argmax(x).0
    }
}

impl PoolKernels for burn::backend::Flex {
    fn pool_with_argmax(x: FloatTensor<Self>) -> (FloatTensor<Self>, Vec<u32>) {
        let [n, c, h, w] = x.shape().dims();
        let (ho, wo) = (h / 2, w / 2);
        let x = if x.is_contiguous() {
            x
        } else {
            x.to_contiguous()
        };
        let mut out = FloatTensor::<Self>::zeros(Shape::new([n, c, ho, wo]), DType::F32);
        let mut argmax = vec![0u32; n * c * ho * wo];
        if argmax.is_empty() {
            return (out, argmax);
        }
        let src = contiguous(&x);
        out.storage_mut::<f32>()
            .par_chunks_mut(ho * wo)
            .zip(argmax.par_chunks_mut(ho * wo))
            .zip(src.par_chunks(h * w))
            .for_each(|((out, argmax), plane)| {
                for a in 0..ho {
                    for b in 0..wo {
                        let first = 2 * a * w + 2 * b;
                        let (mut best, mut at) = (plane[first], first);
                        for k in [first + 1, first + w, first + w + 1] {
                            let v = plane[k];
                            if !best.is_nan() && (v > best || v.is_nan()) {
                                (best, at) = (v, k);
                            }
                        }
                        out[a * wo + b] = best;
                        argmax[a * wo + b] = at as u32;
                    }
                }
            });
        (out, argmax)
    }

    fn pool_backward(grad: FloatTensor<Self>, argmax: &[u32], shape: Shape) -> FloatTensor<Self> {
        let [_, _, h, w] = shape.dims();
        let grad = if grad.is_contiguous() {
            grad
        } else {
            grad.to_contiguous()
        };
        let outputs = (h / 2) * (w / 2);
        let mut dx = FloatTensor::<Self>::zeros(shape, DType::F32);
        if argmax.is_empty() {
            return dx;
        }
        let src = contiguous(&grad);
        dx.storage_mut::<f32>()
            .par_chunks_mut(h * w)
            .zip(src.par_chunks(outputs))
            .zip(argmax.par_chunks(outputs))
            .for_each(|((plane, grad), argmax)| {
                for (g, &at) in grad.iter().zip(argmax) {
                    plane[at as usize] = *g;
                }
            });
        dx
    }
}

/// The elements of a contiguous f32 tensor, in order (callers make it contiguous first).
fn contiguous(t: &FloatTensor<burn::backend::Flex>) -> &[f32] {
    t.as_slice::<f32>()
        .expect("an f32 tensor made contiguous by the caller")
}

impl<B: Backend + MaxPool2x2 + PoolKernels, C: CheckpointStrategy> MaxPool2x2 for Autodiff<B, C> {
    fn max_pool_2x2(x: FloatTensor<Self>) -> FloatTensor<Self> {
        match PoolBackward
            .prepare::<C>([x.node()])
            .compute_bound()
            .stateful()
        {
            OpsKind::Tracked(prep) => {
                let x = x.into_primitive();
                let shape = x.shape();
                let (y, argmax) = B::pool_with_argmax(x);
                prep.finish((argmax, shape), y)
            }
            OpsKind::UnTracked(prep) => prep.finish(B::max_pool_2x2(x.into_primitive())),
        }
    }
}

/// The backward pass: the output's gradient written at each window's argmax.
#[derive(Debug)]
struct PoolBackward;

impl<B: Backend + PoolKernels> Backward<B, 1> for PoolBackward {
    type State = (Vec<u32>, Shape);

    fn backward(
        self,
        ops: Ops<Self::State, 1>,
        grads: &mut Gradients,
        _checkpointer: &mut Checkpointer,
    ) {
        let [node] = ops.parents;
        let grad = grads.consume::<B>(&ops.node);
        if let Some(node) = node {
            let (argmax, shape) = ops.state;
            grads.register::<B>(node.id, B::pool_backward(grad, &argmax, shape));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use burn::backend::Flex;
    use burn::tensor::{Distribution, TensorData};

    /// The pooled output and the input's gradient of `sum(pool(x) * probe)`.
    fn pooled_and_gradient(
        pool: impl Fn(Tensor<4>) -> Tensor<4>,
        x: &Tensor<4>,
        probe: &Tensor<4>,
    ) -> (Vec<f32>, Vec<f32>) {
        let x = x.clone().require_grad();
        let y = pool(x.clone());
        let grads = (y.clone() * probe.clone()).sum().backward();
        let dx = x.grad(&grads).expect("x requires a gradient");
        let values = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().expect("f32 data");
        (values(y.inner()), values(dx))
    }

    #[test]
    fn output_and_gradient_are_burns_max_pool_on_the_cnns_shapes_and_odd_ones() {
        let device = Device::flex().autodiff();
        device.seed(13);
        // The cnn's two poolings at a batch of 4 (26 and 11: one odd side), and an uneven one.
        for [n, c, h, w] in [[4, 32, 26, 26], [4, 64, 11, 11], [3, 5, 7, 9]] {
            let x = Tensor::<4>::random([n, c, h, w], Distribution::Normal(0.0, 1.0), &device);
            let probe = Tensor::<4>::random(
                [n, c, h / 2, w / 2],
                Distribution::Normal(0.0, 1.0),
                &device,
            );
            assert!(on_this_kernel(&x), "the test must run this module's kernel");
            let burns = |x| max_pool2d(x, MaxPoolOptions::new([2, 2]));
            let (ours, ours_dx) = pooled_and_gradient(max_pool_2x2, &x, &probe);
            let (theirs, theirs_dx) = pooled_and_gradient(burns, &x, &probe);
            // Random normal values do not tie, so both pick the same element: exact equality.
            assert_eq!(ours, theirs, "output, {n}x{c}x{h}x{w}");
            assert_eq!(ours_dx, theirs_dx, "input gradient, {n}x{c}x{h}x{w}");
            let written = ours_dx.iter().filter(|v| **v != 0.0).count();
            assert_eq!(
                written,
                n * c * (h / 2) * (w / 2),
                "one gradient per window"
            );
        }
    }

    #[test]
    fn a_transposed_view_and_the_path_without_autodiff_match_burns_max_pool() {
        let burns = |x| max_pool2d(x, MaxPoolOptions::new([2, 2]));
        let values = |t: Tensor<4>| t.into_data().try_to_vec::<f32>().expect("f32 data");
        for device in [Device::flex().autodiff(), Device::flex()] {
            device.seed(17);
            // [2, 3, 6, 9] as a view of a [2, 3, 9, 6] tensor: not contiguous.
            let x = Tensor::<4>::random([2, 3, 9, 6], Distribution::Normal(0.0, 1.0), &device)
                .swap_dims(2, 3);
            assert!(on_this_kernel(&x));
            assert_eq!(values(max_pool_2x2(x.clone())), values(burns(x)));
        }
    }

    #[test]
    fn ties_go_to_the_first_position_and_nan_wins() {
        // One 2x4 plane: window 1 is all equal, window 2 holds a NaN after a larger number.
        let values = vec![1.0, 1.0, 5.0, f32::NAN, 1.0, 1.0, 2.0, 3.0];
        let x = FloatTensor::<Flex>::from_data(TensorData::new(values, [1, 1, 2, 4]));
        let (y, argmax) = Flex::pool_with_argmax(x);
        let y = y.into_data().try_to_vec::<f32>().expect("f32 data");
        assert_eq!(y[0], 1.0);
        assert!(y[1].is_nan());
        assert_eq!(argmax, vec![0, 3]);
    }
}
