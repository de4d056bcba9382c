//! The burn MLP's benchmark: one epoch on each CPU device, tuned and as burn ships, beside its
//! PyTorch and Keras twins, which build the same widths and dropout. Tuned: subnormals flushed,
//! glibc's allocator keeping freed blocks (xtask's default). As shipped: no flush, glibc's
//! default allocator (a process of its own).

use bench_core::benchmark::DEFAULT_MALLOC;
use bench_core::{Twin, Variant, WorkSplit, WorkUnit, Workload};

use crate::BurnBackend;

/// One epoch on the standard split with 20% held out, as the notebook's Keras run.
pub const WORKLOADS: &[Workload] = &[Workload {
    name: "burn-epoch",
    about: "one burn-MLP epoch, batch 32 (48k images on MNIST)",
    split: WorkSplit::StandardHeldOut,
    unit: WorkUnit::Epoch,
    variants: &[
        Variant {
            label: "burn ndarray, tuned",
            settings: &[("device", "ndarray"), ("flush", "on")],
            feature: None,
            env: &[],
        },
        Variant {
            label: "burn ndarray, as shipped",
            settings: &[("device", "ndarray"), ("flush", "off")],
            feature: None,
            env: DEFAULT_MALLOC,
        },
        Variant {
            label: "burn flex, tuned",
            settings: &[("device", "flex"), ("flush", "on")],
            feature: Some(burn_common::FLEX),
            env: &[],
        },
        Variant {
            label: "burn flex, as shipped",
            settings: &[("device", "flex"), ("flush", "off")],
            feature: Some(burn_common::FLEX),
            env: DEFAULT_MALLOC,
        },
    ],
}];

impl BurnBackend {
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
    fn the_twins_build_the_same_widths_and_dropout() {
        let backend = BurnBackend {
            shape: MlpShape {
                hidden: vec![256, 128],
                dropout: 0.5,
            },
            ..Default::default()
        };
        let twins = backend.python_twins();
        assert_eq!(twins.len(), 2);
        for twin in twins {
            assert_eq!(twin.args, ["--hidden", "256,128", "--dropout", "0.5"]);
        }
    }
}
