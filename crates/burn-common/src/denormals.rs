//! The flush-to-zero guard as burn needs it: `bench_core::denormals`' guard, started after
//! matrixmultiply's pool as well as rayon's.
//!
//! matrixmultiply's pool (the ndarray device's threaded products) is created on first use, by
//! whichever thread uses it first, and has no way in for code of ours: [`guard`] starts it before
//! any flag is set, so its threads keep the default and subnormals in their share of a product
//! are computed exactly, the slow way.

pub use bench_core::denormals::{Flush, FlushDenormals, WorkerPool, flushing};

/// burn's `flush` setting: on unless set, the tuned default of every burn backend.
pub const FLUSH: bench_core::SettingSpec = bench_core::denormals::flush_setting("on");

/// The `flush` setting among a run's settings: only when off, its one value other than the
/// default (`flush_setting` says why).
pub fn recorded(flush: Flush) -> Option<(String, String)> {
    (flush == Flush::Off).then(|| ("flush".to_string(), flush.to_string()))
}

/// matrixmultiply's pool: started before any flag is set, never flagged (no way in).
const POOLS: &[WorkerPool] = &[WorkerPool {
    start: start_matrixmultiply,
    each_worker: None,
}];

/// A guard while `flush` is on ([`Flush::guard_with`]), matrixmultiply's pool started first.
pub fn guard(flush: Flush) -> Option<FlushDenormals> {
    flush.guard_with(POOLS)
}

/// Starts matrixmultiply's pool: any f32 product goes through matrixmultiply::sgemm, which
/// creates it on first use.
fn start_matrixmultiply() {
    let one = ndarray::Array2::<f32>::ones((1, 1));
    std::hint::black_box(one.dot(&one));
}
