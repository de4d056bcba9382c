//! The candle MLP's benchmark: one epoch on candle's CPU device, as candle ships and tuned, beside
//! the PyTorch and Keras twins of the burn MLP, which build the same widths and dropout (the same
//! net). As shipped: subnormals computed in full, glibc's default allocator (a process of its
//! own). Tuned: subnormals flushed on every thread candle computes on, glibc's allocator keeping
//! freed blocks (xtask's default).

use bench_core::benchmark::DEFAULT_MALLOC;
use bench_core::{Twin, Variant, WorkSplit, WorkUnit, Workload};

use crate::CandleBackend;

/// One epoch on the standard split with 20% held out, as the burn MLP's `burn-epoch`.
pub const WORKLOADS: &[Workload] = &[Workload {
    name: "candle-epoch",
    about: "one candle-MLP epoch, batch 32 (48k images on MNIST)",
    split: WorkSplit::StandardHeldOut,
    unit: WorkUnit::Epoch,
    variants: &[
        Variant {
            label: "candle cpu, tuned",
            settings: &[("device", "cpu"), ("flush", "on")],
            feature: None,
            env: &[],
        },
        Variant {
            label: "candle cpu, as shipped",
            settings: &[("device", "cpu"), ("flush", "off")],
            feature: None,
            env: DEFAULT_MALLOC,
        },
    ],
}];

impl CandleBackend {
    /// PyTorch and Keras, with this network's widths and dropout.
    pub(crate) fn python_twins(&self) -> Vec<Twin> {
        bench_core::benchmark::dropout_mlp_twins(&self.shape.hidden, self.shape.dropout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::MlpShape;

    #[test]
    fn the_twins_are_given_this_networks_shape() {
        let backend = CandleBackend {
            shape: MlpShape {
                hidden: vec![256],
                dropout: 0.5,
            },
            ..Default::default()
        };
        for twin in backend.python_twins() {
            assert_eq!(twin.args, ["--hidden", "256", "--dropout", "0.5"]);
        }
    }
}
