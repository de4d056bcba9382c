//! The flush-to-zero guard as candle needs it: `bench_core::denormals`' guard, which flags the
//! training thread and rayon's workers (where candle's convolutions and matrix products run),
//! with candle's barrier pool too.
//!
//! candle's CPU device runs element-wise operations on 64K elements or more on a pool of its own,
//! the barrier pool (`candle_core::utils::barrier_pool`, threads named `candle-bp-N`, one fewer
//! than candle's thread count), created on first use. The guard starts it before any flag is set
//! and flags each of its workers through the pool's own `execute`, which runs a function once on
//! every worker and on the caller (the caller's turn does nothing here: the guard sets the
//! training thread's flag itself).

use bench_core::denormals::{Flush, FlushDenormals, WorkerPool};

/// candle's barrier pool, started first and flagged.
static POOLS: [WorkerPool; 1] = [WorkerPool {
    start: start_barrier_pool,
    each_worker: Some(on_each_barrier_worker),
}];

/// A guard while `flush` is on: subnormals flushed on this thread, rayon's workers and candle's
/// barrier pool.
pub fn guard(flush: Flush) -> Option<FlushDenormals> {
    flush.guard_with(&POOLS)
}

fn start_barrier_pool() {
    candle_core::utils::barrier_pool();
}

/// Runs `f` once on each worker of candle's barrier pool, not on the calling thread.
pub fn on_each_barrier_worker(f: &(dyn Fn() + Sync)) {
    let pool = candle_core::utils::barrier_pool();
    let workers = pool.n_workers();
    // Worker threads are numbered 0..workers; the caller takes part as number `workers`.
    pool.execute(|tid| {
        if tid < workers {
            f();
        }
    });
}
