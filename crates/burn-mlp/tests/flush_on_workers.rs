//! Subnormals are flushed on every thread of rayon's pool while burn trains, and on none after.
//! A test binary of its own, with one test, so that the training is what first starts the
//! worker pools, as in `cargo xtask compare --backends burn`: threads inherit the flag of the
//! thread that creates them.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use bench_core::{Backend, EpochStats, Hyperparams, Observer, TrainData};
use burn_common::denormals::flushing;
use burn_mlp::BurnBackend;

/// Reads the flag on every worker of rayon's global pool at each epoch's end.
struct Watch {
    during: Vec<Vec<bool>>,
}

impl Observer for Watch {
    fn epoch(&mut self, _: &EpochStats) {
        self.during.push(rayon::broadcast(|_| flushing()));
    }
}

#[test]
fn every_rayon_worker_flushes_while_burn_trains_and_none_keeps_it_after() {
    assert!(!flushing(), "the test thread starts without the flag");
    let backend = BurnBackend::default();
    let split = bench_core::conformance::synthetic_split(3);
    let hp = Hyperparams {
        epochs: 2,
        ..backend.defaults()
    };
    let hp = bench_core::prepare(&backend, hp).unwrap();
    let data = TrainData {
        train: &split.train,
        validation: None,
    };
    let mut watch = Watch { during: Vec::new() };
    backend.train(&hp, &data, &mut watch).unwrap();
    assert_eq!(watch.during.len(), 2);
    if cfg!(target_arch = "x86_64") {
        for workers in &watch.during {
            assert!(workers.iter().all(|&f| f), "during training: {workers:?}");
        }
    }
    let after = rayon::broadcast(|_| flushing());
    assert!(after.iter().all(|&f| !f), "after training: {after:?}");
    assert!(!flushing(), "the training thread is restored");
    let spawned = std::thread::spawn(flushing).join().unwrap();
    assert!(!spawned, "a thread started after training");
}
