//! What every candle backend shares, so that each backend crate holds only its network: the
//! device chosen at run time ([`CandleDevice`]: the CPU always, CUDA and Metal behind the cargo
//! features of those names), the training loop over any [`training::Network`] with Adam, dropout
//! masks and per-epoch validation ([`training`]), the `flush` setting (subnormal floats flushed
//! to zero on every thread candle computes on while it trains, off unless set: candle as it
//! ships), and the `device` setting.
//!
//! It is no backend itself: `candle-mlp` and `candle-cnn` depend on it, never on each other.
//! Depends on `bench-core` (which holds the flush guard both frameworks use), `mnist-data` and
//! candle.
//!
//! candle's CPU device computes on the calling thread, on rayon's global pool (its matrix
//! products through `gemm` with rayon's parallelism, its convolutions with rayon's parallel
//! iterators) and on its own barrier pool (large element-wise operations). Those are the threads
//! the flush guard reaches ([`flush`]; `tests/flush_on_workers.rs` of `candle-cnn` reads the flag
//! on each of them during and after a training).

pub mod device;
pub mod flush;
pub mod training;

use bench_core::denormals::Flush;
use bench_core::{SettingSpec, TrainError};

pub use device::CandleDevice;

/// A candle error as a training error.
pub fn candle_error(e: candle_core::Error) -> TrainError {
    TrainError::Backend(format!("candle: {e}"))
}

/// The `device` setting of a candle backend.
pub const DEVICE: SettingSpec = SettingSpec {
    name: "device",
    help: "cpu; cuda and metal with the cargo features of those names",
    default: "cpu",
};

/// The `flush` setting of every candle backend unless set: off, candle as it ships.
pub const DEFAULT_FLUSH: Flush = Flush::Off;

/// The `flush` setting of a candle backend, [`DEFAULT_FLUSH`] unless set.
pub const FLUSH: SettingSpec = bench_core::denormals::flush_setting("off");

/// The `flush` setting among a run's settings: only where it is not [`DEFAULT_FLUSH`]
/// (`bench_core::denormals::flush_setting` says why).
pub fn recorded(flush: Flush) -> Option<(String, String)> {
    bench_core::denormals::recorded(flush, DEFAULT_FLUSH)
}

/// The note of a report on a candle backend that runs on the CPU with `flush` as set. The
/// `candle` backend's words name its own page (docs/candle.md), any other's the CNN page.
pub fn flush_note(backend: &str, flush: Flush) -> String {
    match (flush, backend) {
        (Flush::Off, "candle") => "candle runs as it ships, with subnormal floats computed in \
                                   full; burn flushes them to zero while it trains (this \
                                   project's choice, crates/burn-common/src/denormals.rs). On \
                                   a CPU slow with subnormals, candle's later epochs slow down \
                                   and its training time includes that; see the per-epoch \
                                   times in history.csv (docs/candle.md)."
            .to_string(),
        (Flush::Off, _) => format!(
            "{backend} runs as candle ships, with subnormal floats computed in full (`--set \
             {backend}.flush=on` flushes them); burn flushes them to zero while it trains, by \
             default (crates/bench-core/src/denormals.rs). On a CPU slow with subnormals, later \
             epochs slow down and the training time includes that; see the per-epoch times in \
             history.csv (docs/cnn.md)."
        ),
        (Flush::On, _) => format!(
            "{backend} flushes subnormal floats to zero on every thread candle computes on while \
             it trains (`--set {backend}.flush=on`; candle as it ships computes them in full)."
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_default_is_the_default_flush_and_the_notes_name_the_setting() {
        assert_eq!(FLUSH.default.parse::<Flush>(), Ok(DEFAULT_FLUSH));
        assert_eq!(recorded(DEFAULT_FLUSH), None);
        assert_eq!(recorded(Flush::On), Some(("flush".into(), "on".into())));
        // The MLP's words name its own page; another backend's name its setting and the CNN page.
        assert!(flush_note("candle", Flush::Off).ends_with("(docs/candle.md)."));
        let cnn = flush_note("candle-cnn", Flush::Off);
        assert!(cnn.contains("`--set candle-cnn.flush=on`") && cnn.ends_with("(docs/cnn.md)."));
    }
}
