//! How the process's allocator treats large blocks, set once by the binaries (xtask and the
//! measurement examples) before they start any thread.
//!
//! glibc's malloc serves blocks of 128 KiB or more (a threshold it raises by itself, up to
//! 32 MiB, as such blocks are freed) with a mapping of their own, given back to the system on
//! free, and gives back free memory at the top of its heap beyond 128 KiB. A training step
//! allocates and frees tensors of that size by the dozen. [`keep_freed_memory`] fixes both
//! thresholds (mmap 32 MiB, trim 1 GiB) so that such blocks come from the heap and freed memory
//! stays there for the next step, at the price of a process that keeps the memory it freed.
//! Measured on the cnn's step: 49.90 and 53.53 ms with glibc's defaults against 24.93 and
//! 27.63 ms with these thresholds (docs/evidence/cnn-cpu/malloc.txt, read in docs/cnn-cpu.md).
//! `MNIST_COMPARE_MALLOC=default` leaves glibc's defaults, to compare or to save memory.

use std::sync::atomic::{AtomicBool, Ordering};

/// Blocks below this size come from malloc's heap (glibc's ceiling for this setting on 64-bit
/// targets; larger values are refused).
pub const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of the heap is returned to the system only beyond this much.
pub const TRIM_THRESHOLD: i32 = 1 << 30;
/// The environment variable that, set to `default`, leaves glibc's defaults.
pub const OPT_OUT: &str = "MNIST_COMPARE_MALLOC";

static KEPT: AtomicBool = AtomicBool::new(false);

/// Sets glibc's thresholds (above) unless [`OPT_OUT`] is `default`; returns whether both were
/// taken. A no-op returning `false` on other C libraries.
///
/// # Safety
/// Call it before the process starts any other thread: glibc documents `mallopt` as
/// MT-Unsafe (it changes malloc's global parameters without synchronising with threads that
/// allocate).
#[allow(unsafe_code)]
pub unsafe fn keep_freed_memory() -> bool {
    if std::env::var(OPT_OUT).is_ok_and(|v| v == "default") {
        return false;
    }
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: the caller guarantees that no other thread exists, which is what glibc's
        // MT-Unsafe marking asks; mallopt then changes only malloc's own state (its parameters,
        // and a consolidation of the main arena's free chunks under that arena's lock), and a
        // value out of range is refused (returns 0), not undefined.
        let kept = unsafe {
            libc::mallopt(libc::M_MMAP_THRESHOLD, MMAP_THRESHOLD) == 1
                && libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD) == 1
        };
        KEPT.store(kept, Ordering::Relaxed);
        kept
    }
    #[cfg(not(all(target_os = "linux", target_env = "gnu")))]
    false
}

/// The allocator setting in force, for the provenance of a report or benchmark.
pub fn description() -> &'static str {
    if KEPT.load(Ordering::Relaxed) {
        "glibc malloc keeping freed blocks up to 32 MiB (mmap threshold 32 MiB, trim threshold 1 GiB)"
    } else {
        "the C library's malloc with its defaults"
    }
}
