//! Splits the cnn's training step on Flex (batch 64, the cnn's shapes, the columns path it trains
//! with) into its operations and times each alone through autodiff (docs/cnn-cpu.md).
//!
//! Each operation runs forward and backward on tensors of its real shapes: its inputs are leaves
//! that require a gradient (the images excepted, as in training), its output is multiplied by a
//! fixed probe and summed, and the sum's gradient flows back. The same probe on a leaf of the
//! output's shape is timed beside it and subtracted. The whole step is timed as training runs
//! it, and within it Adam's update; the forward pass alone and forward and backward are timed
//! too. What the operations and the update do not add up to ("the rest") is autodiff's graph,
//! the reshapes and copies between operations, and the gap between an operation alone and in
//! the step.
//!
//! `cargo build --release -p burn-cnn --features flex --example step_split`, then
//! `target/release/examples/step_split [REPEATS]` (default 30). Everything is alternated repeat
//! by repeat; medians of REPEATS runs after two untimed ones.

use burn::nn::loss::CrossEntropyLoss;
use burn::nn::{Dropout, DropoutConfig, Linear, LinearConfig, Relu};
use burn::optim::{AdamConfig, GradientsParams};
use burn::prelude::*;
use burn::tensor::{Distribution, Int};
use burn_cnn::conv::conv2d_valid;
use burn_cnn::pool::max_pool_2x2;
use burn_cnn::{Cnn, ConvPath, Layers};
use mnist_data::SIDE;

#[path = "shared/args.rs"]
mod args;
#[path = "shared/timing.rs"]
mod timing;

const BATCH: usize = 64;

/// Forward and backward of `sum(out · probe)`; the sum read back.
fn with_probe<const D: usize>(out: Tensor<D>, probe: &Tensor<D>) -> f32 {
    let loss = (out * probe.clone()).sum();
    let value = loss.clone().into_scalar::<f32>();
    std::hint::black_box(loss.backward());
    value
}

/// The probe alone, on a leaf of `out`'s shape: what [`with_probe`] adds to an operation.
fn probe_alone<const D: usize>(out: &Tensor<D>) -> Box<dyn FnMut() -> f32 + '_> {
    Box::new(move || with_probe(leaf(out), out))
}

/// A tensor of `shape` on `device`, uniform in [0, 1).
fn random<const D: usize>(shape: [usize; D], device: &Device) -> Tensor<D> {
    Tensor::random(shape, Distribution::Default, device)
}

/// A leaf copy of `t` that requires a gradient.
fn leaf<const D: usize>(t: &Tensor<D>) -> Tensor<D> {
    t.clone().detach().require_grad()
}

/// A part of the step: its name, the part through autodiff with its probe, and the probe alone.
type Part<'a> = (
    &'static str,
    Box<dyn FnMut() -> f32 + 'a>,
    Box<dyn FnMut() -> f32 + 'a>,
);

/// Each operation's inputs, parameters and probes, on the cnn's shapes.
struct Shapes {
    images: Tensor<4>,
    labels: Tensor<1, Int>,
    w1: Tensor<4>,
    w2: Tensor<4>,
    b1: Tensor<1>,
    b2: Tensor<1>,
    conv1_out: Tensor<4>,
    pool1_out: Tensor<4>,
    conv2_out: Tensor<4>,
    pool2_out: Tensor<4>,
    hidden: Tensor<2>,
    logits: Tensor<2>,
    dense: Linear,
    output: Linear,
    dropout: Dropout,
    relu: Relu,
    loss_fn: CrossEntropyLoss,
}

impl Shapes {
    fn new(images: &Tensor<2>, labels: &Tensor<1, Int>, ad: &Device) -> Self {
        Self {
            images: images.clone().reshape([BATCH, 1, SIDE, SIDE]),
            labels: labels.clone(),
            w1: random([32, 1, 3, 3], ad),
            w2: random([64, 32, 3, 3], ad),
            b1: random([32], ad),
            b2: random([64], ad),
            conv1_out: random([BATCH, 32, 26, 26], ad),
            pool1_out: random([BATCH, 32, 13, 13], ad),
            conv2_out: random([BATCH, 64, 11, 11], ad),
            pool2_out: random([BATCH, 64, 5, 5], ad),
            hidden: random([BATCH, 128], ad),
            logits: random([BATCH, 10], ad),
            dense: LinearConfig::new(64 * 5 * 5, 128).init(ad),
            output: LinearConfig::new(128, 10).init(ad),
            dropout: DropoutConfig::new(0.25).init(),
            relu: Relu::new(),
            loss_fn: CrossEntropyLoss::new(None, ad),
        }
    }

    /// The step's operations in order, each as the cnn computes it (`ConvPath::Im2col`).
    fn parts(&self) -> Vec<Part<'_>> {
        let pool = max_pool_2x2;
        vec![
            (
                "conv1 from columns: forward, weight gradient",
                Box::new(move || {
                    with_probe(
                        conv2d_valid(self.images.clone(), leaf(&self.w1)),
                        &self.conv1_out,
                    )
                }),
                probe_alone(&self.conv1_out),
            ),
            (
                "max-pool 1 (64x32x26x26): forward, backward",
                Box::new(move || with_probe(pool(leaf(&self.conv1_out)), &self.pool1_out)),
                probe_alone(&self.pool1_out),
            ),
            (
                "+ bias, ReLU 1 (64x32x13x13)",
                Box::new(move || {
                    let x = leaf(&self.pool1_out) + leaf(&self.b1).reshape([1, 32, 1, 1]);
                    with_probe(self.relu.forward(x), &self.pool1_out)
                }),
                probe_alone(&self.pool1_out),
            ),
            (
                "conv2 from columns: forward, weight and input gradients",
                Box::new(move || {
                    let y = conv2d_valid(leaf(&self.pool1_out), leaf(&self.w2));
                    with_probe(y, &self.conv2_out)
                }),
                probe_alone(&self.conv2_out),
            ),
            (
                "max-pool 2 (64x64x11x11): forward, backward",
                Box::new(move || with_probe(pool(leaf(&self.conv2_out)), &self.pool2_out)),
                probe_alone(&self.pool2_out),
            ),
            (
                "+ bias, ReLU 2 (64x64x5x5)",
                Box::new(move || {
                    let x = leaf(&self.pool2_out) + leaf(&self.b2).reshape([1, 64, 1, 1]);
                    with_probe(self.relu.forward(x), &self.pool2_out)
                }),
                probe_alone(&self.pool2_out),
            ),
            (
                "flatten, dense 1600→128, ReLU",
                Box::new(move || {
                    let x: Tensor<2> = leaf(&self.pool2_out).flatten(1, 3);
                    with_probe(self.relu.forward(self.dense.forward(x)), &self.hidden)
                }),
                probe_alone(&self.hidden),
            ),
            (
                "dropout 0.25 (64x128)",
                Box::new(move || {
                    with_probe(self.dropout.forward(leaf(&self.hidden)), &self.hidden)
                }),
                probe_alone(&self.hidden),
            ),
            (
                "dense 128→10",
                Box::new(move || with_probe(self.output.forward(leaf(&self.hidden)), &self.logits)),
                probe_alone(&self.logits),
            ),
            (
                "cross-entropy loss (64x10), read back",
                Box::new(move || {
                    let loss = self
                        .loss_fn
                        .forward(leaf(&self.logits), self.labels.clone());
                    let value = loss.clone().into_scalar::<f32>();
                    std::hint::black_box(loss.backward());
                    value
                }),
                Box::new(|| 0.0),
            ),
        ]
    }
}

/// Prints the split: each part's median less its probe's, the rest, Adam's update and the step.
fn print_split(names: &[&str], t: &[f64], adam: f64, repeats: usize) {
    let ops = names.len();
    let [forward, forward_backward, step] = [t[2 * ops], t[2 * ops + 1], t[2 * ops + 2]];
    println!("part of the step | ms | share of the step");
    let mut sum = 0.0;
    for (i, name) in names.iter().enumerate() {
        let ms = t[2 * i] - t[2 * i + 1];
        sum += ms;
        println!("{name} | {ms:.3} | {:.1}%", 100.0 * ms / step);
    }
    let rest = step - adam - sum;
    println!(
        "the rest (autodiff's graph, copies between ops, the ops in the step against alone) | \
         {rest:.3} | {:.1}%",
        100.0 * rest / step
    );
    println!(
        "Adam's update (gradients gathered per parameter, Adam's step) | {adam:.3} | {:.1}%",
        100.0 * adam / step
    );
    println!("the whole step | {step:.3} | 100.0%");
    println!(
        "(forward alone, loss read back: {forward:.3} ms; forward and backward: \
         {forward_backward:.3} ms; medians of {repeats} alternated repeats)"
    );
}

fn main() {
    // SAFETY: the first statement of main, and nothing starts a thread before main (std does
    // not; no dependency runs code at load time), so this is the only thread. The tool's
    // allocator setting (bench_core::malloc), so that this measures what the tool runs.
    #[allow(unsafe_code)]
    unsafe {
        bench_core::malloc::keep_freed_memory()
    };
    let repeats = args::count_arg(std::env::args().nth(1), 30, "step_split [REPEATS]");
    let _flush = burn_common::denormals::guard(burn_common::denormals::Flush::On);
    let ad = Device::flex().autodiff();
    ad.seed(3);

    // The whole step's network, batch and optimiser, as cnn_step and training run them.
    let model = Cnn::new(0.25, Layers::Columns, &ad);
    let images = random([BATCH, SIDE * SIDE], &ad);
    let labels: Vec<i64> = (0..BATCH as i64).map(|i| (i * 7) % 10).collect();
    let labels = Tensor::<1, Int>::from_ints(labels.as_slice(), &ad);
    let loss_fn = CrossEntropyLoss::new(None, &ad);
    let mut optim = AdamConfig::new().with_epsilon(1e-7).init();
    let shapes = Shapes::new(&images, &labels, &ad);
    let mut parts = shapes.parts();
    let names: Vec<&str> = parts.iter().map(|(name, _, _)| *name).collect();

    let mut step_forward = || {
        let logits = model.forward_with(images.clone(), ConvPath::Im2col);
        loss_fn.forward(logits, labels.clone()).into_scalar::<f32>()
    };
    let mut step_backward = || {
        let logits = model.forward_with(images.clone(), ConvPath::Im2col);
        let loss = loss_fn.forward(logits, labels.clone());
        let value = loss.clone().into_scalar::<f32>();
        std::hint::black_box(loss.backward());
        value
    };
    // The whole step trains its own copy, so that the two above keep one network; it times its
    // update (the gradients gathered per parameter, then Adam's step) on its own too.
    let mut trained = model.clone();
    let update_seconds = std::cell::RefCell::new(Vec::with_capacity(repeats + 2));
    let mut whole = || {
        let logits = trained.forward_with(images.clone(), ConvPath::Im2col);
        let loss = loss_fn.forward(logits, labels.clone());
        let value = loss.clone().into_scalar::<f32>();
        let grads = loss.backward();
        let started = std::time::Instant::now();
        let grads = GradientsParams::from_grads(grads, &trained);
        trained = optim.step(1e-3, trained.clone(), grads);
        update_seconds
            .borrow_mut()
            .push(started.elapsed().as_secs_f64());
        value
    };

    let mut all: Vec<&mut dyn FnMut() -> f32> = Vec::new();
    for (_, op, probe) in &mut parts {
        all.push(op.as_mut());
        all.push(probe.as_mut());
    }
    all.extend([
        &mut step_forward as &mut dyn FnMut() -> f32,
        &mut step_backward,
        &mut whole,
    ]);
    let t: Vec<f64> = timing::medians(repeats, &mut all)
        .into_iter()
        .map(|s| s * 1e3)
        .collect();
    drop(all);
    // The two untimed repeats' updates left out, as `medians` leaves them out.
    let updates = update_seconds.borrow();
    let adam = bench_core::deploy::median(&updates[2.min(updates.len())..]).unwrap_or(f64::NAN);
    print_split(&names, &t, adam * 1e3, repeats);
}
