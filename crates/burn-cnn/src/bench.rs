//! The cnn's benchmark: one epoch on Flex, tuned and as burn ships, beside its PyTorch twin, the
//! same network. Tuned: the columns convolution and the cnn's own max-pool, pooling before bias
//! and ReLU, subnormals flushed, glibc's allocator keeping freed blocks (xtask's default). As
//! shipped: burn's own layers in the textbook order, no flush, glibc's default allocator (a
//! process of its own). Both rows run with gemm's AVX-512 kernels where the CPU has them: the
//! `flex` build compiles them in (burn-common), for every Flex row.

use bench_core::benchmark::DEFAULT_MALLOC;
use bench_core::{Twin, Variant, WorkSplit, WorkUnit, Workload};

use crate::CnnBackend;

/// One epoch on the standard split with 20% held out. On Flex only: on ndarray one epoch takes
/// minutes (docs/benchmarks.md, "Why each pair stands where it does").
pub const WORKLOADS: &[Workload] = &[Workload {
    name: "cnn-epoch",
    about: "one cnn epoch, batch 64 (48k images on MNIST)",
    split: WorkSplit::StandardHeldOut,
    unit: WorkUnit::Epoch,
    variants: &[
        Variant {
            label: "cnn flex, tuned",
            settings: &[("device", "flex"), ("conv", "columns"), ("flush", "on")],
            feature: Some(burn_common::FLEX),
            env: &[],
        },
        Variant {
            label: "cnn flex, as shipped",
            settings: &[("device", "flex"), ("conv", "burn"), ("flush", "off")],
            feature: Some(burn_common::FLEX),
            env: DEFAULT_MALLOC,
        },
    ],
}];

impl CnnBackend {
    /// PyTorch with this network's dropout.
    pub(crate) fn torch_twin(&self) -> Twin {
        bench_core::benchmark::cnn_twin(self.dropout)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_twin_drops_out_at_the_same_rate() {
        let backend = CnnBackend {
            dropout: 0.4,
            ..Default::default()
        };
        assert_eq!(backend.torch_twin().args, ["--dropout", "0.4"]);
    }
}
