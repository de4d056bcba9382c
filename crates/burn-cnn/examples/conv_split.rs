//! Times each of the cnn's two convolutions on its real shapes (batch 64) on Flex: the forward
//! pass, the weight gradient (burn's `conv2d_weight_backward`, the op autodiff calls) and the input
//! gradient (through autodiff, with only the input requiring a gradient, less the same forward
//! on the autodiff device), and the weight gradient through autodiff (only the weights requiring
//! a gradient, less the forward) both by burn's convolution and by the cnn's own
//! (`burn_cnn::conv`, from the forward pass's columns), and the forward pass of the cnn's own,
//! alternated repeat by repeat. Medians of REPEATS runs
//! after two untimed ones (docs/cnn-cpu.md).
//!
//! `cargo build --release -p burn-cnn --features flex --example conv_split` (or with
//! `-p xtask --features xtask/flex,xtask/candle --examples`, which reuses that build's compiled
//! dependencies), then `target/release/examples/conv_split [REPEATS]` (default 20).
//!
//! Medians are `bench_core::deploy::median`'s (the mean of the two middle runs of an even
//! count; examples/shared/timing.rs).

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::module::{conv2d, conv2d_weight_backward};
use burn::tensor::ops::ConvOptions;
use burn_cnn::conv::conv2d_valid;

#[path = "shared/args.rs"]
mod args;
#[path = "shared/timing.rs"]
mod timing;
use timing::medians;

const BATCH: usize = 64;

/// (name, input [channels, side], output channels) of the cnn's convolutions (3x3, stride 1).
const LAYERS: [(&str, [usize; 2], usize); 2] = [("conv1", [1, 28], 32), ("conv2", [32, 13], 64)];

fn options() -> ConvOptions<2> {
    ConvOptions::new([1, 1], [0, 0], [1, 1], 1)
}

/// Waits for `t` (a sum read back), so that a lazy device has done the work before the clock stops.
fn settle(t: Tensor<4>) -> f32 {
    t.sum().into_scalar::<f32>()
}

fn main() {
    // SAFETY: the first statement of main, and nothing starts a thread before main (std does
    // not; no dependency runs code at load time), so this is the only thread. The tool's
    // allocator setting (bench_core::malloc), so that this measures what the tool runs.
    #[allow(unsafe_code)]
    unsafe {
        bench_core::malloc::keep_freed_memory()
    };
    let repeats = args::count_arg(std::env::args().nth(1), 20, "conv_split [REPEATS]");
    let device = Device::flex();
    let autodiff = device.clone().autodiff();
    println!(
        "layer | input | forward ms | weight gradient ms (burn's op) | input gradient ms | \
         weight gradient ms, burn's conv | weight gradient ms, burn_cnn::conv \
         (the last three through autodiff, less its forward) | forward ms, burn_cnn::conv"
    );
    for (name, [channels, side], out) in LAYERS {
        let x = Tensor::<4>::random(
            [BATCH, channels, side, side],
            Distribution::Default,
            &device,
        );
        let w = Tensor::<4>::random([out, channels, 3, 3], Distribution::Default, &device);
        let grad = Tensor::<4>::random(
            [BATCH, out, side - 2, side - 2],
            Distribution::Default,
            &device,
        );
        let (xa, wa, ga) = (
            Tensor::<4>::from_data(x.to_data(), &autodiff),
            Tensor::<4>::from_data(w.to_data(), &autodiff),
            Tensor::<4>::from_data(grad.to_data(), &autodiff),
        );
        let burns = |x: Tensor<4>, w: Tensor<4>| conv2d(x, w, None, options());
        // Forward alone, and forward + backward, with `x` or `w` requiring a gradient.
        let forward_ad = |conv: &dyn Fn(Tensor<4>, Tensor<4>) -> Tensor<4>, track_x: bool| {
            let (x, w) = tracked(&xa, &wa, track_x);
            settle(conv(x, w))
        };
        let backward = |conv: &dyn Fn(Tensor<4>, Tensor<4>) -> Tensor<4>, track_x: bool| {
            let (x, w) = tracked(&xa, &wa, track_x);
            let grads = (conv(x.clone(), w.clone()) * ga.clone()).sum().backward();
            let grad = if track_x {
                x.grad(&grads)
            } else {
                w.grad(&grads)
            };
            grad.map_or(0.0, settle)
        };
        let t = medians(
            repeats,
            &mut [
                &mut || settle(conv2d(x.clone(), w.clone(), None, options())),
                &mut || {
                    settle(conv2d_weight_backward(
                        x.clone(),
                        w.clone(),
                        grad.clone(),
                        options(),
                    ))
                },
                &mut || forward_ad(&burns, true),
                &mut || backward(&burns, true),
                &mut || forward_ad(&burns, false),
                &mut || backward(&burns, false),
                &mut || forward_ad(&conv2d_valid, false),
                &mut || backward(&conv2d_valid, false),
                &mut || settle(conv2d_valid(x.clone(), w.clone())),
            ],
        );
        println!(
            "{name} | {BATCH}x{channels}x{side}x{side} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3} | {:.3}",
            t[0] * 1e3,
            t[1] * 1e3,
            (t[3] - t[2]) * 1e3,
            (t[5] - t[4]) * 1e3,
            (t[7] - t[6]) * 1e3,
            t[8] * 1e3,
        );
    }
}

/// Copies of `x` and `w` with one of them requiring a gradient.
fn tracked(x: &Tensor<4>, w: &Tensor<4>, track_x: bool) -> (Tensor<4>, Tensor<4>) {
    if track_x {
        (x.clone().require_grad(), w.clone())
    } else {
        (x.clone(), w.clone().require_grad())
    }
}
