//! linfa's benchmark: its workload (a whole fit, in f32 and in f64), its scikit-learn twins and
//! the products of the feature matrix it remembers instead of computing again.

use bench_core::{Twin, Variant, WorkMeter, WorkSplit, WorkUnit, Workload};

use crate::{LinfaBackend, Precision, ProductCounts, product_counts};

/// A fit of 100 L-BFGS iterations on the notebook's protocol, in each precision.
pub const WORKLOADS: &[Workload] = &[Workload {
    name: "linfa-fit",
    about: "a whole linfa fit, 100 L-BFGS iterations (56k images on MNIST)",
    split: WorkSplit::Pooled,
    unit: WorkUnit::Fit,
    variants: &[
        Variant {
            label: "linfa f32",
            settings: &[("precision", "f32")],
            feature: None,
            env: &[],
        },
        Variant {
            label: "linfa f64",
            settings: &[("precision", "f64")],
            feature: None,
            env: &[],
        },
    ],
}];

impl LinfaBackend {
    /// scikit-learn's `LogisticRegression` at this precision, and in f32 also at the notebook's
    /// float64. Checkpoints restart L-BFGS, which scikit-learn's one fit cannot mirror.
    pub(crate) fn sklearn_twins(&self) -> Result<Vec<Twin>, String> {
        if !self.checkpoints.is_empty() {
            return Err(
                "--set linfa.checkpoints: no twin can mirror it (scikit-learn fits once, without \
                 restarts); leave it unset for bench --reference"
                    .to_string(),
            );
        }
        let twin = |label: &str, dtype: &str, note| Twin {
            label: label.to_string(),
            script: "sklearn_logistic.py",
            args: vec!["--dtype".into(), dtype.into()],
            note,
        };
        Ok(match self.precision {
            Precision::F32 => vec![
                twin("scikit-learn f32", "float32", "same precision"),
                twin("scikit-learn f64", "float64", "the notebook's pairing"),
            ],
            Precision::F64 => vec![twin("scikit-learn f64", "float64", "same precision")],
        })
    }
}

/// Counts the products of the feature matrix from the moment it is made.
#[derive(Debug, Clone, Copy)]
pub(crate) struct ProductMeter {
    pub(crate) start: ProductCounts,
}

impl WorkMeter for ProductMeter {
    fn lines(&self, units: u64, _median_seconds: f64) -> Vec<String> {
        let Some(now) = product_counts() else {
            return Vec::new();
        };
        let units = units.max(1);
        vec![format!(
            "products of the feature matrix per fit: {} computed, {} repeats answered from memory",
            (now.computed - self.start.computed) / units,
            (now.remembered - self.start.remembered) / units
        )]
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_precision_has_its_twins_and_checkpoints_are_refused() {
        let f32_twins = LinfaBackend::default().sklearn_twins().unwrap();
        assert_eq!(f32_twins.len(), 2);
        assert!(f32_twins[0].args.contains(&"float32".to_string()));
        let f64_twins = LinfaBackend {
            precision: Precision::F64,
            ..Default::default()
        }
        .sklearn_twins()
        .unwrap();
        assert_eq!(f64_twins.len(), 1);
        assert!(f64_twins[0].args.contains(&"float64".to_string()));
        let err = LinfaBackend {
            checkpoints: vec![10],
            ..Default::default()
        }
        .sklearn_twins()
        .unwrap_err();
        assert!(err.contains("linfa.checkpoints"), "{err}");
    }
}
