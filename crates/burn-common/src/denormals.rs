//! The flush-to-zero guard as burn needs it: `bench_core::denormals`' guard, started after
//! matrixmultiply's pool as well as rayon's.
//!
//! matrixmultiply's pool (the ndarray device's threaded products) is created on first use, by
//! whichever thread uses it first, and has no way in for code of ours: [`guard`] starts it before
//! any flag is set, so its threads keep the default and subnormals in their share of a product
//! are computed exactly, the slow way.

pub use bench_core::denormals::{Flush, FlushDenormals, WorkerPool, flushing};

/// The `flush` setting of every burn backend unless set: on, the tuned default.
pub const DEFAULT_FLUSH: Flush = Flush::On;

/// burn's `flush` setting, [`DEFAULT_FLUSH`] unless set.
pub const FLUSH: bench_core::SettingSpec = bench_core::denormals::flush_setting("on");

/// The `flush` setting among a run's settings: only where it is not [`DEFAULT_FLUSH`]
/// (`bench_core::denormals::flush_setting` says why).
pub fn recorded(flush: Flush) -> Option<(String, String)> {
    bench_core::denormals::recorded(flush, DEFAULT_FLUSH)
}

/// matrixmultiply's pool: started before any flag is set, never flagged (no way in).
static POOLS: [WorkerPool; 1] = [WorkerPool {
    start: start_matrixmultiply,
    each_worker: None,
}];

/// A guard while `flush` is on ([`Flush::guard_with`]), matrixmultiply's pool started first.
pub fn guard(flush: Flush) -> Option<FlushDenormals> {
    flush.guard_with(&POOLS)
}

/// Starts matrixmultiply's pool: any f32 product goes through matrixmultiply::sgemm, which
/// creates it on first use.
fn start_matrixmultiply() {
    let one = ndarray::Array2::<f32>::ones((1, 1));
    std::hint::black_box(one.dot(&one));
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_settings_default_is_the_default_flush() {
        assert_eq!(FLUSH.default.parse::<Flush>(), Ok(DEFAULT_FLUSH));
        assert_eq!(recorded(DEFAULT_FLUSH), None);
        assert_eq!(recorded(Flush::Off), Some(("flush".into(), "off".into())));
    }
}
