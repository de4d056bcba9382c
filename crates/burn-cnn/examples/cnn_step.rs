//! Times the cnn's training step (forward, loss, backward, Adam update) on one batch of 64 on
//! Flex, three ways in one process, alternated round by round (docs/cnn-cpu.md):
//! - `reference`: burn's layers in the textbook order (convolution with bias → ReLU → max-pool),
//!   burn's weight gradient: the reference the tests hold the cnn to;
//! - `pool-first`: convolution without bias → max-pool → + bias → ReLU, burn's convolution and
//!   pooling;
//! - `columns`: the same with the convolutions from columns (`burn_cnn::conv`) and the cnn's own
//!   pooling (`burn_cnn::pool`): what the cnn trains with on Flex (`cnn.conv=columns`).
//!
//! `cargo build --release -p burn-cnn --features flex --example cnn_step`, then
//! `target/release/examples/cnn_step [ROUNDS] [STEPS]` (default 7 rounds of 20 steps). Each
//! variant trains its own copy of one seeded network on one fixed batch; subnormals are flushed
//! and the loss read each step, as in training.
//! Prints each round's mean milliseconds per step, then each variant's median over rounds
//! (`bench_core::deploy::median`) and its ratio to the reference's.

use std::time::Instant;

use burn::nn::loss::CrossEntropyLoss;
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::{Distribution, Int};
use burn_cnn::{Cnn, ConvPath};
use mnist_data::SIDE;

#[path = "shared/args.rs"]
mod args;

const BATCH: usize = 64;

/// The variants, by name.
const VARIANTS: [&str; 3] = ["reference", "pool-first", "columns"];

fn logits(model: &Cnn, variant: usize, x: Tensor<2>) -> Tensor<2> {
    match variant {
        0 => model.forward_reference(x),
        1 => model.forward_with(x, ConvPath::Burn),
        _ => model.forward_with(x, ConvPath::Im2col),
    }
}

fn main() {
    // SAFETY: the first statement of main, and nothing starts a thread before main (std does
    // not; no dependency runs code at load time), so this is the only thread. The tool's
    // allocator setting (bench_core::malloc), so that this measures what the tool runs.
    #[allow(unsafe_code)]
    unsafe {
        bench_core::malloc::keep_freed_memory()
    };
    let mut argv = std::env::args().skip(1);
    let usage = "cnn_step [ROUNDS] [STEPS]";
    let rounds = args::count_arg(argv.next(), 7, usage);
    let steps = args::count_arg(argv.next(), 20, usage);
    let _flush = burn_common::denormals::guard(burn_common::denormals::Flush::On);
    let device = Device::flex().autodiff();
    device.seed(3);
    let start = Cnn::new(0.25, burn_cnn::Layers::Columns, &device);
    let x = Tensor::<2>::random([BATCH, SIDE * SIDE], Distribution::Default, &device);
    let labels: Vec<i64> = (0..BATCH as i64).map(|i| (i * 7) % 10).collect();
    let y = Tensor::<1, Int>::from_ints(labels.as_slice(), &device);
    let loss_fn = CrossEntropyLoss::new(None, &device);
    let mut models: Vec<Cnn> = VARIANTS.iter().map(|_| start.clone()).collect();
    let mut optims: Vec<_> = VARIANTS
        .iter()
        .map(|_| AdamConfig::new().with_epsilon(1e-7).init())
        .collect();
    let mut times: Vec<Vec<f64>> = vec![Vec::new(); VARIANTS.len()];
    println!("round | {} (ms per step)", VARIANTS.join(" | "));
    for round in 0..=rounds {
        let mut row = Vec::new();
        for (v, model) in models.iter_mut().enumerate() {
            let started = Instant::now();
            for _ in 0..steps {
                let loss = loss_fn.forward(logits(model, v, x.clone()), y.clone());
                // Read as training reads it (its divergence check), which also waits for it.
                std::hint::black_box(loss.clone().into_scalar::<f32>());
                let grads = GradientsParams::from_grads(loss.backward(), &*model);
                *model = optims[v].step(1e-3, model.clone(), grads);
            }
            let ms = started.elapsed().as_secs_f64() * 1e3 / steps as f64;
            row.push(format!("{ms:.2}"));
            // Round 0 warms up, untimed.
            if round > 0 {
                times[v].push(ms);
            }
        }
        let label = if round == 0 {
            "warm-up".to_string()
        } else {
            round.to_string()
        };
        println!("{label} | {}", row.join(" | "));
    }
    let medians: Vec<f64> = times
        .iter()
        .map(|t| bench_core::deploy::median(t).unwrap_or(f64::NAN))
        .collect();
    for (name, median) in VARIANTS.iter().zip(&medians) {
        println!(
            "median {name}: {median:.2} ms per step, {:.3}x the reference's",
            median / medians[0]
        );
    }
}
