//! The runner turns every way a backend can fail into a failed record with a reason, and keeps
//! going: errors, panics, non-finite losses, non-finite probabilities, chance-level models.

use bench_core::{
    Backend, EpochStats, FittedModel, Hyperparams, Observer, Quiet, RunStatus, TrainData,
    TrainError, ValidHyperparams, conformance::synthetic_split, prepare, run,
};
use std::sync::atomic::{AtomicUsize, Ordering};

use bench_core::run::MIN_USEFUL_ACCURACY;
use mnist_data::{Dataset, N_CLASSES};

/// How a fake backend behaves.
#[derive(Debug, Clone, Copy)]
enum Behaviour {
    /// Predicts the true label (reads it from the image's class patch): a good model.
    Good,
    /// Returns an error from `train`.
    Error,
    /// Panics inside `train`.
    Panic,
    /// Reports a NaN loss for its epoch but returns a model anyway.
    NanLoss,
    /// Predicts NaN probabilities.
    NanProbabilities,
    /// Always predicts class 0.
    Constant,
    /// Predicts the true label for the first two datasets it sees (the training and validation
    /// sets, which the runner scores first) and class 0 afterwards (the test set).
    ChanceOnTest,
}

struct Fake(Behaviour);

struct FakeModel(Behaviour, AtomicUsize);

impl FittedModel for FakeModel {
    fn predict_proba(&self, images: &Dataset) -> Result<Vec<f32>, TrainError> {
        let calls = self.1.fetch_add(1, Ordering::Relaxed);
        let mut proba = vec![0.0f32; images.len() * N_CLASSES];
        for (i, row) in proba.chunks_exact_mut(N_CLASSES).enumerate() {
            match self.0 {
                Behaviour::NanProbabilities => row.fill(f32::NAN),
                Behaviour::Constant => row[0] = 1.0,
                Behaviour::ChanceOnTest if calls >= 2 => row[0] = 1.0,
                _ => row[usize::from(images.labels()[i])] = 1.0,
            }
        }
        Ok(proba)
    }

    fn param_count(&self) -> usize {
        1
    }
}

impl Backend for Fake {
    fn name(&self) -> &str {
        "fake"
    }

    fn model(&self) -> String {
        format!("{:?}", self.0)
    }

    fn defaults(&self) -> Hyperparams {
        Hyperparams {
            seed: 0,
            epochs: 1,
            batch_size: None,
            learning_rate: None,
        }
    }

    fn train(
        &self,
        _hp: &ValidHyperparams,
        _data: &TrainData<'_>,
        observer: &mut dyn Observer,
    ) -> Result<Box<dyn FittedModel>, TrainError> {
        match self.0 {
            Behaviour::Error => return Err(TrainError::Backend("the solver refused".into())),
            Behaviour::Panic => panic!("index out of bounds in the fake backend"),
            _ => {}
        }
        observer.epoch(&EpochStats {
            step: 1,
            train_loss: if matches!(self.0, Behaviour::NanLoss) {
                f64::NAN
            } else {
                0.1
            },
            train_accuracy: 0.9,
            validation_loss: None,
            validation_accuracy: None,
            seconds: 0.0,
        });
        Ok(Box::new(FakeModel(self.0, AtomicUsize::new(0))))
    }
}

#[test]
fn every_failure_becomes_a_failed_record_and_the_next_run_goes_on() {
    let split = synthetic_split(1);
    let cases = [
        (Behaviour::Error, "the solver refused"),
        (
            Behaviour::Panic,
            "panicked: index out of bounds in the fake backend",
        ),
        (
            Behaviour::NanLoss,
            "diverged: the training loss reached NaN in epoch 1",
        ),
        (Behaviour::NanProbabilities, "non-finite probabilities"),
        (
            Behaviour::Constant,
            "model is at chance level: training accuracy",
        ),
    ];
    for (behaviour, expected) in cases {
        let backend = Fake(behaviour);
        let hp = prepare(&backend, backend.defaults()).unwrap();
        let record = run(&backend, &hp, &split, &mut Quiet);
        match &record.status {
            RunStatus::Failed { reason } => {
                assert!(reason.contains(expected), "{behaviour:?}: {reason}")
            }
            RunStatus::Ok => panic!("{behaviour:?} was reported as a success"),
        }
        assert!(record.metrics.is_none());
        // The same process goes on to a good run.
        let good = Fake(Behaviour::Good);
        let record = run(&good, &hp, &split, &mut Quiet);
        assert_eq!(record.status, RunStatus::Ok);
        assert_eq!(record.metrics.unwrap().test_accuracy, 1.0);
    }
}

#[test]
fn the_test_set_decides_no_run_out_a_model_poor_only_on_it_is_reported() {
    // The chance-level check reads the training set: a model that fits its training images and
    // fails on the test images is a successful run whose poor test accuracy the report shows.
    let split = synthetic_split(1);
    let backend = Fake(Behaviour::ChanceOnTest);
    let hp = prepare(&backend, backend.defaults()).unwrap();
    let record = run(&backend, &hp, &split, &mut Quiet);
    assert_eq!(record.status, RunStatus::Ok);
    let m = record.metrics.unwrap();
    assert_eq!(m.train_accuracy, 1.0);
    assert!(m.test_accuracy < MIN_USEFUL_ACCURACY, "{}", m.test_accuracy);
}
