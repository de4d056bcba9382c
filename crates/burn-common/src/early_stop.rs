//! Early stopping on the validation loss: the `patience` setting of the burn networks. It reads
//! validation losses only; the test set never reaches training.

/// What to do after an epoch.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// The validation loss is the lowest so far: its weights were kept.
    Improved,
    /// No improvement yet, but fewer than `patience` epochs in a row.
    Wait,
    /// `patience` epochs in a row without improvement: stop training.
    Stop,
}

/// Tracks the best epoch so far and how long ago it was.
#[derive(Debug)]
pub struct EarlyStop<M> {
    patience: usize,
    best: Option<(f64, M)>,
    since: usize,
}

impl<M> EarlyStop<M> {
    /// Stops after `patience` epochs (at least 1) without a lower validation loss.
    pub fn new(patience: usize) -> Self {
        Self {
            patience: patience.max(1),
            best: None,
            since: 0,
        }
    }

    /// Records one epoch's validation `loss`; `keep` makes the copy of the weights to keep when
    /// it is the lowest so far. A NaN loss is never an improvement.
    pub fn observe(&mut self, loss: f64, keep: impl FnOnce() -> M) -> Step {
        let improved = !loss.is_nan() && self.best.as_ref().is_none_or(|(best, _)| loss < *best);
        if improved {
            self.best = Some((loss, keep()));
            self.since = 0;
            return Step::Improved;
        }
        self.since += 1;
        if self.since >= self.patience {
            Step::Stop
        } else {
            Step::Wait
        }
    }

    /// The weights of the epoch with the lowest validation loss, if any epoch had a number.
    pub fn into_best(self) -> Option<M> {
        self.best.map(|(_, m)| m)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Feeds `losses` (one per epoch) with the epoch number as the "weights"; returns the epoch
    /// after which it stopped (or the last) and the epoch it kept.
    fn replay(patience: usize, losses: &[f64]) -> (usize, Option<usize>) {
        let mut stop = EarlyStop::new(patience);
        let mut last = 0;
        for (i, &loss) in losses.iter().enumerate() {
            last = i + 1;
            if stop.observe(loss, || i + 1) == Step::Stop {
                break;
            }
        }
        (last, stop.into_best())
    }

    #[test]
    fn stops_after_patience_epochs_without_improvement_and_keeps_the_best() {
        // Best after epoch 2; epochs 3 and 4 do not beat it: stop after 4, keep 2.
        assert_eq!(replay(2, &[0.5, 0.4, 0.45, 0.41, 0.3]), (4, Some(2)));
        // A later improvement resets the count.
        assert_eq!(
            replay(2, &[0.5, 0.4, 0.45, 0.3, 0.35, 0.36, 0.2]),
            (6, Some(4))
        );
        // An equal loss is no improvement.
        assert_eq!(replay(1, &[0.5, 0.5, 0.1]), (2, Some(1)));
        // Never worse: it trains every epoch and keeps the last.
        assert_eq!(replay(3, &[0.5, 0.4, 0.3]), (3, Some(3)));
    }

    #[test]
    fn a_nan_loss_is_never_the_best() {
        assert_eq!(replay(2, &[0.5, f64::NAN, f64::NAN, 0.1]), (3, Some(1)));
        assert_eq!(replay(3, &[f64::NAN, 0.5, 0.6]), (3, Some(2)));
        assert_eq!(replay(1, &[f64::NAN]), (1, None));
    }
}
