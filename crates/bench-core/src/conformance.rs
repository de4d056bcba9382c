//! The contract every backend must meet, written once and run by each backend crate on synthetic
//! data through [`conformance_suite!`](crate::conformance_suite).

use mnist_data::{Split, SplitKind, SplitSpec, synth};

use crate::backend::{Backend, Quiet};
use crate::config::{ConfigError, Hyperparams};
use crate::run::{RunRecord, RunStatus, prepare, run};

/// A small synthetic split: 1,200 training, 300 validation and 500 test images.
pub fn synthetic_split(seed: u64) -> Split {
    let train = synth::separable(1500, seed);
    let test = synth::separable(500, seed.wrapping_add(1));
    let spec = SplitSpec {
        kind: SplitKind::Standard,
        seed,
        validation_fraction: 0.2,
    };
    Split::new(&train, &test, spec).expect("synthetic split is valid")
}

fn run_ok(backend: &dyn Backend, hp: &Hyperparams, split: &Split) -> RunRecord {
    let valid = prepare(backend, *hp).expect("test hyperparameters are valid");
    let record = run(backend, &valid, split, &mut Quiet);
    assert_eq!(
        record.status,
        RunStatus::Ok,
        "{} failed on synthetic data",
        backend.name()
    );
    record
}

/// Learns a separable 10-class problem far above chance, predicts one label per image and reports
/// every epoch.
pub fn learns_separable_problem(backend: &dyn Backend, hp: &Hyperparams) {
    let split = synthetic_split(11);
    let record = run_ok(backend, hp, &split);
    let m = record.metrics.as_ref().expect("ok runs have metrics");
    assert!(
        m.test_accuracy >= 0.9,
        "{}: test accuracy {} on a separable problem",
        backend.name(),
        m.test_accuracy
    );
    assert_eq!(m.test_predictions.len(), split.test.len());
    assert!(m.test_predictions.iter().all(|&p| p < 10));
    for row in m.test_probabilities.chunks_exact(10) {
        let sum: f32 = row.iter().sum();
        assert!((sum - 1.0).abs() < 1e-3, "probabilities sum to {sum}");
    }
    assert!(m.param_count > 0);
    assert!(!record.history.is_empty(), "no history reported");
    assert!(record.history.iter().all(|s| s.train_loss.is_finite()));
    assert!(
        record
            .history
            .iter()
            .all(|s| s.validation_accuracy.is_some())
    );
}

/// The same seed gives identical predictions and history metrics.
pub fn same_seed_same_result(backend: &dyn Backend, hp: &Hyperparams) {
    let split = synthetic_split(12);
    let a = run_ok(backend, hp, &split);
    let b = run_ok(backend, hp, &split);
    let metrics = |r: &RunRecord| {
        let m = r.metrics.clone().expect("ok runs have metrics");
        (
            m.test_predictions,
            m.test_probabilities,
            m.train_accuracy,
            m.validation_accuracy,
        )
    };
    assert_eq!(
        metrics(&a),
        metrics(&b),
        "{}: same seed, different results",
        backend.name()
    );
    let losses = |r: &RunRecord| r.history.iter().map(|s| s.train_loss).collect::<Vec<_>>();
    assert_eq!(losses(&a), losses(&b));
}

/// A saved model loads back (through the backend) to bit-identical probabilities.
pub fn saved_model_reloads_identically(backend: &dyn Backend, hp: &Hyperparams) {
    let split = synthetic_split(13);
    let valid = prepare(backend, *hp).expect("test hyperparameters are valid");
    let train = crate::backend::TrainData {
        train: &split.train,
        validation: None,
    };
    let model = backend
        .train(&valid, &train, &mut Quiet)
        .unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
    // One folder per call: two suites of one backend (f32 and f64, two shapes) run at once.
    static CALLS: std::sync::atomic::AtomicUsize = std::sync::atomic::AtomicUsize::new(0);
    let call = CALLS.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let dir = std::env::temp_dir().join(format!(
        "mnist-compare-conformance-{}-{}-{call}",
        backend.name(),
        std::process::id()
    ));
    std::fs::create_dir_all(&dir).expect("a temporary folder");
    let saved = model.save(&dir);
    let loaded = saved.and_then(|()| backend.load(&dir));
    let _ = std::fs::remove_dir_all(&dir);
    let loaded = loaded.unwrap_or_else(|e| panic!("{}: {e}", backend.name()));
    let (a, b) = (
        model.predict_proba(&split.test),
        loaded.predict_proba(&split.test),
    );
    let (a, b) = (a.expect("predicts"), b.expect("predicts"));
    assert!(
        a.iter().zip(&b).all(|(x, y)| x.to_bits() == y.to_bits()) && a.len() == b.len(),
        "{}: the reloaded model predicts differently",
        backend.name()
    );
    assert_eq!(model.param_count(), loaded.param_count());
}

/// Invalid hyperparameters are rejected by [`prepare`]; training only accepts what it returns.
pub fn rejects_invalid_config(backend: &dyn Backend, hp: &Hyperparams) {
    let mut bad = vec![(Hyperparams { epochs: 0, ..*hp }, "--epochs")];
    if hp.batch_size.is_some() {
        bad.push((
            Hyperparams {
                batch_size: Some(0),
                ..*hp
            },
            "--batch-size",
        ));
    }
    if hp.learning_rate.is_some() {
        for lr in [0.0, -0.1, f64::NAN] {
            bad.push((
                Hyperparams {
                    learning_rate: Some(lr),
                    ..*hp
                },
                "--lr",
            ));
        }
    }
    for (config, flag) in bad {
        let err: ConfigError = match prepare(backend, config) {
            Ok(_) => panic!("{}: accepted {config:?}", backend.name()),
            Err(e) => e,
        };
        assert!(err.to_string().contains(flag), "{}: {err}", backend.name());
    }
    assert!(prepare(backend, *hp).is_ok());
}

/// Instantiates the conformance suite as `#[test]`s: `conformance_suite!(make_backend(), test_hyperparams())`.
#[macro_export]
macro_rules! conformance_suite {
    ($backend:expr, $hp:expr) => {
        mod conformance {
            #[allow(unused_imports)]
            use super::*;

            #[test]
            fn learns_separable_problem() {
                $crate::conformance::learns_separable_problem(&$backend, &$hp);
            }

            #[test]
            fn same_seed_same_result() {
                $crate::conformance::same_seed_same_result(&$backend, &$hp);
            }

            #[test]
            fn saved_model_reloads_identically() {
                $crate::conformance::saved_model_reloads_identically(&$backend, &$hp);
            }

            #[test]
            fn rejects_invalid_config() {
                $crate::conformance::rejects_invalid_config(&$backend, &$hp);
            }
        }
    };
}
