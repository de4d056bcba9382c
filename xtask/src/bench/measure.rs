//! The one way `bench` trains: through `bench_core`'s runner (the same checks as a comparison:
//! divergence, chance level, the test set read once), timed by the unit its workload declares.

use anyhow::{Result, bail};
use bench_core::{Backend, EpochStats, Hyperparams, Observer, RunStatus, WorkUnit};
use mnist_data::Split;

use crate::progress::interrupted;

/// What one run measured.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Measured {
    /// The median epoch's seconds, or the fit's.
    pub seconds: f64,
    /// Test accuracy of the trained model.
    pub test_accuracy: f64,
}

/// Median of `values` (the mean of the middle two for an even count; NaN for none).
pub fn median(values: &[f64]) -> f64 {
    bench_core::deploy::median(values).unwrap_or(f64::NAN)
}

/// The split's images with nothing held out for validation that training would see: a timed
/// epoch holds no validation pass (a split holding images out keeps them unused).
pub fn without_validation(mut split: Split) -> Split {
    split.validation = mnist_data::Dataset::default();
    split
}

/// How long a run of `backend` trains, on both sides of a row: `requested` epochs (default: the
/// backend's own) for an epoch workload, the backend's whole budget for a fit.
pub fn run_length(backend: &dyn Backend, unit: WorkUnit, requested: Option<usize>) -> usize {
    let budget = backend.defaults().epochs;
    match unit {
        WorkUnit::Epoch => requested.unwrap_or(budget),
        WorkUnit::Fit => budget,
    }
}

/// Trains `backend` once on `split` (built by [`without_validation`]) with model seed `seed`,
/// for `epochs` epochs (a fit always runs its backend's whole budget), and measures it by `unit`.
/// A failed run is an error with the runner's reason.
pub fn measure(
    backend: &dyn Backend,
    unit: WorkUnit,
    split: &Split,
    epochs: Option<usize>,
    seed: u64,
) -> Result<Measured> {
    let hp = Hyperparams {
        seed,
        epochs: run_length(backend, unit, epochs),
        ..backend.defaults()
    };
    let hp = bench_core::prepare(backend, hp)?;
    let record = bench_core::run(backend, &hp, split, &mut Cancellable);
    let (RunStatus::Ok, Some(metrics)) = (&record.status, &record.metrics) else {
        let reason = match &record.status {
            RunStatus::Failed { reason } => reason.clone(),
            RunStatus::Ok => "no metrics recorded".to_string(),
        };
        bail!("{reason}");
    };
    let seconds = match unit {
        WorkUnit::Fit => metrics.training_seconds,
        WorkUnit::Epoch => median(&record.history.iter().map(|s| s.seconds).collect::<Vec<_>>()),
    };
    Ok(Measured {
        seconds,
        test_accuracy: metrics.test_accuracy,
    })
}

/// Stops training between batches after Ctrl-C.
struct Cancellable;

impl Observer for Cancellable {
    fn epoch(&mut self, _stats: &EpochStats) {}

    fn cancelled(&self) -> bool {
        interrupted()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn median_of_odd_even_and_empty() {
        assert_eq!(median(&[3.0, 1.0, 2.0]), 2.0);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
        assert!(median(&[]).is_nan());
    }
}
