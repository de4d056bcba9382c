//! The candle CNN's benchmark: one epoch on candle's CPU device, as candle ships and tuned, beside
//! the PyTorch twin every CNN backend shares. As shipped: subnormals computed in full, glibc's
//! default allocator (a process of its own). Tuned: subnormals flushed on every thread candle
//! computes on, glibc's allocator keeping freed blocks (xtask's default).

use bench_core::benchmark::DEFAULT_MALLOC;
use bench_core::{Variant, WorkSplit, WorkUnit, Workload};

/// One epoch on the standard split with 20% held out, as the burn cnn's `cnn-epoch`.
pub const WORKLOADS: &[Workload] = &[Workload {
    name: "candle-cnn-epoch",
    about: "one candle-cnn epoch, batch 64 (48k images on MNIST)",
    split: WorkSplit::StandardHeldOut,
    unit: WorkUnit::Epoch,
    variants: &[
        Variant {
            label: "candle-cnn cpu, tuned",
            settings: &[("device", "cpu"), ("flush", "on")],
            feature: None,
            env: &[],
        },
        Variant {
            label: "candle-cnn cpu, as shipped",
            settings: &[("device", "cpu"), ("flush", "off")],
            feature: None,
            env: DEFAULT_MALLOC,
        },
    ],
}];
