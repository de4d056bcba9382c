//! With `flush=on`, subnormals are flushed on every thread candle computes on while candle-cnn
//! trains (the training thread, every worker of rayon's global pool, where candle's matrix
//! products and convolutions run, and every worker of candle's barrier pool, where its large
//! element-wise operations run), and on none after; with the default, `off`, on none at any
//! time. A test binary of its own, with one test, so that the training is what first starts the
//! worker pool, as in `cargo xtask compare --backends candle-cnn`: threads inherit the flag of
//! the thread that creates them.

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use std::sync::Mutex;

use bench_core::denormals::{Flush, flushing};
use bench_core::{Backend, EpochStats, Hyperparams, Observer, TrainData};
use candle_cnn::CandleCnnBackend;
use candle_common::flush::on_each_barrier_worker;

/// The flag on the training thread, and on every worker of rayon's pool and of candle's barrier
/// pool.
type Flags = (bool, Vec<bool>);

/// Reads the flags at each epoch's end.
struct Watch {
    during: Vec<Flags>,
}

impl Observer for Watch {
    fn epoch(&mut self, _: &EpochStats) {
        self.during.push((flushing(), workers()));
    }
}

/// The flag on every worker of rayon's global pool and of candle's barrier pool.
fn workers() -> Vec<bool> {
    let mut flags = rayon::broadcast(|_| flushing());
    let barrier = Mutex::new(Vec::new());
    on_each_barrier_worker(&|| barrier.lock().unwrap().push(flushing()));
    let barrier = barrier.into_inner().unwrap();
    assert_eq!(
        barrier.len(),
        candle_core::utils::barrier_pool().n_workers()
    );
    flags.extend(barrier);
    flags
}

/// Trains 2 epochs with `flush` and returns what [`Watch`] saw.
fn watch_training(flush: Flush) -> Vec<Flags> {
    let backend = CandleCnnBackend {
        flush,
        ..CandleCnnBackend::default()
    };
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
    watch.during
}

#[test]
fn every_thread_candle_computes_on_flushes_while_it_trains_with_flush_on_and_none_keeps_it() {
    assert!(!flushing(), "the test thread starts without the flag");
    let during = watch_training(Flush::On);
    assert_eq!(during.len(), 2);
    if cfg!(target_arch = "x86_64") {
        for (training_thread, workers) in &during {
            assert!(training_thread, "the training thread during training");
            assert!(
                workers.iter().all(|&f| f),
                "workers during training: {workers:?}"
            );
        }
    }
    let after = workers();
    assert!(after.iter().all(|&f| !f), "after training: {after:?}");
    assert!(!flushing(), "the training thread is restored");
    let spawned = std::thread::spawn(flushing).join().unwrap();
    assert!(!spawned, "a thread started after training");

    // As candle ships: no thread flagged at any time.
    for (training_thread, workers) in watch_training(Flush::Off) {
        assert!(!training_thread && workers.iter().all(|&f| !f));
    }
}
