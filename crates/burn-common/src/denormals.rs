//! Subnormal floats flushed to zero while burn trains, on every thread that can be reached.
//!
//! Adam's second-moment estimates and many late-training gradients fall into the subnormal range
//! (below 1.2e-38 in f32), where x86 CPUs take a slow microcode path for each operation. Without
//! this, later epochs ran slower than the first (docs/benchmarks.md, "Subnormal floats"). The
//! guard sets the SSE control register's (MXCSR's) flush-to-zero and denormals-are-zero bits on
//! the training thread and on every worker of rayon's global pool (where burn's CPU devices,
//! ndarray and Flex, and Flex's gemm run their parallel work), and restores each thread's
//! previous value when dropped, so no other backend in the process is affected. A thread
//! inherits MXCSR from the thread that creates it, so the pools are started first, before any
//! flag is set: none of their threads can be born with the flag and keep it. matrixmultiply's
//! own pool (the ndarray device's threaded products) is started first too, but has no way in
//! for code of ours: its threads keep the default, and subnormals in their share of a product
//! are computed exactly, the slow way. TensorFlow, the notebook's framework, runs its CPU
//! kernels with the same switch. Guards may overlap (two trainings on two threads): the workers
//! are flagged by the first and restored by the last. A thread that burn or one of its libraries
//! creates during the training, outside these pools, is born with the flag and may keep it; none
//! is known to, and the test reads the pools only. Elsewhere than x86-64 it does nothing.

use std::cell::Cell;
use std::marker::PhantomData;
use std::sync::Mutex;

/// Flush-to-zero (bit 15) and denormals-are-zero (bit 6) of MXCSR.
const FTZ_DAZ: u32 = 0x8040;

/// Guards alive in the process: rayon's workers are flagged while it is above zero.
static GUARDS: Mutex<usize> = Mutex::new(0);

thread_local! {
    /// On a rayon worker while a guard holds: the value of MXCSR before the guard set it.
    static WORKER_SAVED: Cell<Option<u32>> = const { Cell::new(None) };
}

/// While alive, subnormal inputs and results are read and written as zero on this thread and
/// on rayon's workers. Not `Send`: it must be dropped on the thread that made it, whose value it
/// restores.
#[derive(Debug)]
pub struct FlushDenormals {
    saved: u32,
    _this_thread: PhantomData<*const ()>,
}

impl FlushDenormals {
    /// Starts the worker pools, then turns flushing on for this thread and rayon's workers.
    pub fn on() -> Self {
        let mut guards = GUARDS.lock().unwrap_or_else(|e| e.into_inner());
        if *guards == 0 {
            start_pools();
            rayon::broadcast(|_| {
                let before = csr();
                WORKER_SAVED.with(|s| s.set(Some(before)));
                set_csr(before | FTZ_DAZ);
            });
        }
        *guards += 1;
        let saved = csr();
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
        let mut guards = GUARDS.lock().unwrap_or_else(|e| e.into_inner());
        *guards = guards.saturating_sub(1);
        if *guards == 0 {
            rayon::broadcast(|_| {
                if let Some(before) = WORKER_SAVED.with(Cell::take) {
                    set_csr(before);
                }
            });
        }
    }
}

/// Starts rayon's global pool and matrixmultiply's (each is created on first use, by whichever
/// thread uses it first), so that their threads are created with this thread's current MXCSR.
fn start_pools() {
    rayon::broadcast(|_| ());
    // Any f32 product goes through matrixmultiply::sgemm, which creates its pool first.
    let one = ndarray::Array2::<f32>::ones((1, 1));
    std::hint::black_box(one.dot(&one));
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
    // switch differs at most in the same way; memory safety in the code run under the guard (burn's kernels, Adam, our loop)
    // does not rest on float values (an index computed from floats, such as an argmax, is
    // bounds-checked where it is used); each thread gets back the
    // exact value it had (the guard is not `Send`, so it is dropped where it was made; rayon's
    // workers when the last of overlapping guards is dropped, `GUARDS`); and the
    // training's result is checked end to end (conformance suite, the reports' accuracy).
    unsafe { std::arch::x86_64::_mm_setcsr(value) }
}

#[cfg(not(target_arch = "x86_64"))]
fn csr() -> u32 {
    0
}

#[cfg(not(target_arch = "x86_64"))]
fn set_csr(_: u32) {}

#[cfg(test)]
mod tests {
    use super::FlushDenormals;

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
}
