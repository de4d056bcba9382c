//! The cnn's benchmark: one epoch on Flex beside its PyTorch twin, the same network.

use bench_core::{Twin, Variant, WorkSplit, WorkUnit, Workload};

use crate::CnnBackend;

/// One epoch on the standard split with 20% held out. On Flex only: on ndarray one epoch takes
/// minutes (docs/benchmarks.md, "Why each pair stands where it does").
pub const WORKLOADS: &[Workload] = &[Workload {
    name: "cnn-epoch",
    about: "one cnn epoch, batch 64 (48k images on MNIST)",
    split: WorkSplit::StandardHeldOut,
    unit: WorkUnit::Epoch,
    variants: &[Variant {
        label: "cnn flex",
        settings: &[("device", "flex")],
        feature: Some(burn_common::FLEX),
    }],
}];

impl CnnBackend {
    /// PyTorch with this network's dropout.
    pub(crate) fn torch_twin(&self) -> Twin {
        Twin {
            label: "PyTorch CNN".to_string(),
            script: "torch_cnn.py",
            args: vec!["--dropout".into(), self.dropout.to_string()],
            note: "same network",
        }
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
