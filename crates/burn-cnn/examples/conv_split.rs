//! Times each of the cnn's two convolutions on its real shapes (batch 64) on Flex: the forward
//! pass, the weight gradient (burn's `conv2d_weight_backward`, the op autodiff calls) and the input
//! gradient (through autodiff, with only the input requiring a gradient, less the same forward
//! on the autodiff device). Medians of REPEATS runs after two untimed ones (docs/cnn-cpu.md).
//!
//! `cargo build --release -p burn-cnn --features flex --example conv_split` (or with
//! `-p xtask --features xtask/flex,xtask/candle --examples`, which reuses that build's compiled
//! dependencies), then `target/release/examples/conv_split [REPEATS]` (default 20).
//!
//! Its median of an even count is the upper of the two middle runs (`bench_core::deploy::median`,
//! the project's, averages them; the committed figures were taken with this one).

use std::time::Instant;

use burn::prelude::*;
use burn::tensor::Distribution;
use burn::tensor::module::{conv2d, conv2d_weight_backward};
use burn::tensor::ops::ConvOptions;

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

/// Median seconds of `repeats` runs of `run`, after two untimed ones.
fn median(repeats: usize, mut run: impl FnMut() -> f32) -> f64 {
    let mut sink = 0.0f32;
    for _ in 0..2 {
        sink += run();
    }
    let mut times: Vec<f64> = (0..repeats)
        .map(|_| {
            let started = Instant::now();
            sink += run();
            started.elapsed().as_secs_f64()
        })
        .collect();
    std::hint::black_box(sink);
    times.sort_by(f64::total_cmp);
    times[times.len() / 2]
}

fn main() {
    let repeats: usize = match std::env::args().nth(1).map(|a| a.parse()) {
        None => 20,
        Some(Ok(n)) if n > 0 => n,
        Some(_) => {
            eprintln!("usage: conv_split [REPEATS], REPEATS a whole number above 0");
            std::process::exit(2);
        }
    };
    let device = Device::flex();
    let autodiff = device.clone().autodiff();
    println!(
        "layer | input | forward ms | weight gradient ms | input gradient ms (autodiff, less its forward)"
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
        let forward = median(repeats, || {
            settle(conv2d(x.clone(), w.clone(), None, options()))
        });
        let weight = median(repeats, || {
            settle(conv2d_weight_backward(
                x.clone(),
                w.clone(),
                grad.clone(),
                options(),
            ))
        });
        let (xa, wa, ga) = (
            Tensor::<4>::from_data(x.to_data(), &autodiff),
            Tensor::<4>::from_data(w.to_data(), &autodiff),
            Tensor::<4>::from_data(grad.to_data(), &autodiff),
        );
        let forward_ad = median(repeats, || {
            settle(conv2d(
                xa.clone().require_grad(),
                wa.clone(),
                None,
                options(),
            ))
        });
        let with_input_grad = median(repeats, || {
            let xr = xa.clone().require_grad();
            let y = conv2d(xr.clone(), wa.clone(), None, options());
            let grads = (y * ga.clone()).sum().backward();
            xr.grad(&grads).map_or(0.0, settle)
        });
        println!(
            "{name} | {BATCH}x{channels}x{side}x{side} | {:.3} | {:.3} | {:.3}",
            forward * 1e3,
            weight * 1e3,
            (with_input_grad - forward_ad) * 1e3
        );
    }
}
