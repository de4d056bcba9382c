//! Subnormal floats flushed to zero while a network trains, on every thread that can be reached:
//! the training thread, the workers of rayon's global pool, where burn's CPU devices (ndarray
//! and Flex, and Flex's gemm) and candle's CPU device (its convolutions and its gemm) run their
//! parallel work, and a framework's own pool where it gives a way in (candle's barrier pool, which
//! runs its large element-wise operations). Each framework's shared crate starts the guard around its training loop when
//! the backend's `flush` setting is on ([`flush_setting`], [`Flush`]).
//!
//! Adam's second-moment estimates and many late-training gradients fall into the subnormal range
//! (below 1.2e-38 in f32), where x86 CPUs take a slow microcode path for each operation. Without
//! the guard, later epochs ran slower than the first (docs/benchmarks.md, "Subnormal floats").
//! The guard sets the SSE control register's (MXCSR's) flush-to-zero and denormals-are-zero bits
//! on the training thread and on every worker of those pools, and restores each thread's
//! previous value when dropped, so no other backend in the process is affected. A thread
//! inherits MXCSR from the thread that creates it, so the pools are started first, before any
//! flag is set: none of their threads can be born with the flag and keep it. A framework with a
//! pool of its own outside rayon's names it ([`WorkerPool`], [`FlushDenormals::on_with`]):
//! candle-common starts and flags candle's barrier pool; burn-common starts matrixmultiply's,
//! which gives no way in, so its threads keep the default. TensorFlow, the
//! notebook's framework, runs its CPU kernels with the same switch. Guards may overlap (two
//! trainings on two threads, of one framework or two): rayon's workers are flagged by the first,
//! a framework's pool by the first guard that names it, and all are restored by the last. A
//! thread that a framework creates during the training, outside these pools, is born with the
//! flag and may keep it; none is known to, and the tests read the pools only. Elsewhere than
//! x86-64 it does nothing.

use std::cell::Cell;
use std::fmt;
use std::marker::PhantomData;
use std::str::FromStr;
use std::sync::Mutex;

/// Flush-to-zero (bit 15) and denormals-are-zero (bit 6) of MXCSR.
const FTZ_DAZ: u32 = 0x8040;

/// A framework's own pool of worker threads, outside rayon's, that a guard starts before it sets
/// any flag, and flags too where it can reach each of its threads.
#[derive(Debug)]
pub struct WorkerPool {
    /// Creates the pool if it does not exist yet.
    pub start: fn(),
    /// Runs a function once on each of the pool's threads (never on the caller), or `None` where
    /// the pool gives no way in (its threads then keep the default).
    pub each_worker: Option<fn(&(dyn Fn() + Sync))>,
}

/// Guards alive in the process, and the pools they flagged: rayon's workers and those pools' are
/// flagged while the count is above zero.
struct State {
    guards: usize,
    pools: Vec<&'static WorkerPool>,
}

static STATE: Mutex<State> = Mutex::new(State {
    guards: 0,
    pools: Vec::new(),
});

thread_local! {
    /// On a pool's worker while a guard holds: the value of MXCSR before the guard set it.
    static WORKER_SAVED: Cell<Option<u32>> = const { Cell::new(None) };
}

/// While alive, subnormal inputs and results are read and written as zero on this thread, on
/// rayon's workers and on the workers of the pools it was given. Not `Send`: it must be dropped
/// on the thread that made it, whose value it restores.
#[derive(Debug)]
pub struct FlushDenormals {
    saved: u32,
    _this_thread: PhantomData<*const ()>,
}

impl FlushDenormals {
    /// Starts rayon's global pool, then turns flushing on for this thread and rayon's workers.
    pub fn on() -> Self {
        Self::on_with(&[])
    }

    /// As [`FlushDenormals::on`], for a framework with `pools` of its own (give them as a
    /// `static`, whose address names each pool): each pool no live guard has flagged yet is
    /// started with this thread's flags cleared (a thread is created with its creator's MXCSR,
    /// so none of its threads is born flagged), then flagged where it can be reached. The last
    /// guard dropped restores rayon's workers and every pool flagged.
    pub fn on_with(pools: &'static [WorkerPool]) -> Self {
        let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
        let saved = csr();
        set_csr(saved & !FTZ_DAZ);
        if state.guards == 0 {
            // Two calls: the first starts the pool (if it is new) while this thread's flags are
            // cleared, so no worker is born flagged; the second flags every worker.
            rayon::broadcast(|_| ());
            rayon::broadcast(|_| flag_worker());
        }
        for pool in pools {
            if !state.pools.iter().any(|p| std::ptr::eq(*p, pool)) {
                (pool.start)();
                if let Some(each_worker) = pool.each_worker {
                    each_worker(&flag_worker);
                }
                state.pools.push(pool);
            }
        }
        state.guards += 1;
        set_csr(saved | FTZ_DAZ);
        Self {
            saved,
            _this_thread: PhantomData,
        }
    }
}

impl Drop for FlushDenormals {
    fn drop(&mut self) {
        set_csr(self.saved);
        let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
        state.guards = state.guards.saturating_sub(1);
        if state.guards == 0 {
            rayon::broadcast(|_| restore_worker());
            for each_worker in state.pools.drain(..).filter_map(|p| p.each_worker) {
                each_worker(&restore_worker);
            }
        }
    }
}

/// On a pool's worker: saves its MXCSR and sets the flags.
fn flag_worker() {
    let before = csr();
    WORKER_SAVED.with(|s| s.set(Some(before)));
    set_csr(before | FTZ_DAZ);
}

/// On a pool's worker: gives back the MXCSR [`flag_worker`] saved.
fn restore_worker() {
    if let Some(before) = WORKER_SAVED.with(Cell::take) {
        set_csr(before);
    }
}

/// Whether flush-to-zero and denormals-are-zero are both on for the calling thread (always
/// false elsewhere than x86-64).
pub fn flushing() -> bool {
    cfg!(target_arch = "x86_64") && csr() & FTZ_DAZ == FTZ_DAZ
}

#[cfg(target_arch = "x86_64")]
#[allow(deprecated, unsafe_code)]
fn csr() -> u32 {
    // SAFETY: reading MXCSR changes nothing, and SSE is part of every x86-64 CPU.
    unsafe { std::arch::x86_64::_mm_getcsr() }
}

#[cfg(target_arch = "x86_64")]
#[allow(deprecated, unsafe_code)]
fn set_csr(value: u32) {
    // SAFETY: Rust's position first. `_mm_setcsr` is deprecated because changing MXCSR's
    // floating-point environment (rounding, exception masks, flush-to-zero, denormals-are-zero)
    // is undefined behaviour by Rust's rules: the compiler assumes the default environment
    // everywhere, may evaluate floating-point operations at compile time or move them across
    // this call, and does not treat the call as a barrier. Why the code is still correct here:
    // the only bits changed are FTZ and DAZ, whose one effect is that a subnormal input or
    // result (below 1.2e-38) is read or written as zero, never a trap or a change of rounding;
    // a result differs only where a subnormal takes part (a subnormal divisor then gives an
    // infinity, 0/subnormal a NaN, as an underflow to zero would, and the loop's divergence
    // check reports a non-finite loss as a failed run); an operation folded or moved across the
    // switch differs at most in the same way; memory safety in the code run under the guard
    // (burn's and candle's kernels, Adam, our loops) does not rest on float values (an index
    // computed from floats, such as an argmax, is bounds-checked where it is used); each thread
    // gets back the exact value it had (the guard is not `Send`, so it is dropped where it was made; rayon's
    // workers when the last of overlapping guards is dropped, `STATE`); and the
    // training's result is checked end to end (conformance suite, the reports' accuracy).
    unsafe { std::arch::x86_64::_mm_setcsr(value) }
}

#[cfg(not(target_arch = "x86_64"))]
fn csr() -> u32 {
    0
}

#[cfg(not(target_arch = "x86_64"))]
fn set_csr(_: u32) {}

/// The `flush` setting of a backend, `default` unless set: whether its training runs inside a
/// [`FlushDenormals`]. A backend records it among a run's settings only where it differs from
/// its default, so that the settings of runs made before the setting existed still read alike.
pub const fn flush_setting(default: &'static str) -> crate::SettingSpec {
    crate::SettingSpec {
        name: "flush",
        help: "on: subnormal floats flushed to zero on every thread the training computes on; \
               off: computed in full, as the framework ships",
        default,
    }
}

/// The `flush` setting's value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Flush {
    /// Subnormals flushed to zero while training.
    On,
    /// Subnormals computed in full, as the framework ships.
    Off,
}

impl Flush {
    /// A guard while `self` is [`Flush::On`], none otherwise.
    pub fn guard(self) -> Option<FlushDenormals> {
        self.guard_with(&[])
    }

    /// As [`Flush::guard`], for a framework with `pools` of its own ([`FlushDenormals::on_with`]).
    pub fn guard_with(self, pools: &'static [WorkerPool]) -> Option<FlushDenormals> {
        (self == Flush::On).then(|| FlushDenormals::on_with(pools))
    }
}

/// The `flush` setting among a run's settings: only where it is not `default`.
pub fn recorded(flush: Flush, default: Flush) -> Option<(String, String)> {
    (flush != default).then(|| ("flush".to_string(), flush.to_string()))
}

impl fmt::Display for Flush {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Flush::On => "on",
            Flush::Off => "off",
        })
    }
}

impl FromStr for Flush {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "on" => Ok(Flush::On),
            "off" => Ok(Flush::Off),
            _ => Err("expected on or off".to_string()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::{Flush, FlushDenormals};

    #[test]
    fn subnormals_flush_inside_the_guard_only() {
        let tiny = std::hint::black_box(f32::MIN_POSITIVE);
        let half = std::hint::black_box(0.5f32);
        assert!((tiny * half).is_subnormal(), "without the guard");
        {
            let _guard = FlushDenormals::on();
            let product = std::hint::black_box(tiny) * std::hint::black_box(half);
            #[cfg(target_arch = "x86_64")]
            assert_eq!(product, 0.0, "flushed inside the guard");
            #[cfg(not(target_arch = "x86_64"))]
            assert!(product.is_subnormal());
        }
        let after = std::hint::black_box(tiny) * std::hint::black_box(half);
        assert!(after.is_subnormal(), "restored after the guard");
    }

    #[test]
    fn the_setting_reads_on_and_off_and_names_what_it_expects() {
        assert_eq!("on".parse::<Flush>(), Ok(Flush::On));
        assert_eq!("off".parse::<Flush>(), Ok(Flush::Off));
        assert_eq!(Flush::Off.to_string(), "off");
        assert!(Flush::Off.guard().is_none());
        assert!(Flush::On.guard().is_some());
        let err = "yes".parse::<Flush>().unwrap_err();
        assert_eq!(err, "expected on or off");
    }
}
