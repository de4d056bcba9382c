//! How the process's allocator treats large blocks, set once by the binaries (xtask and the
//! measurement examples) before they start any thread.
//!
//! glibc's malloc gives every block of 128 KiB or more (a threshold it raises by itself, up to
//! 32 MiB, as such blocks are freed) back to the system when it is freed, and the next one is
//! mapped afresh: a page fault and a zeroed page for every 4 KiB of it. A training step
//! allocates and frees tensors of that size by the dozen, so this cost is paid every step:
//! measured on the cnn, 47 against 23 ms a step (docs/cnn-cpu.md). [`keep_freed_memory`] fixes
//! both thresholds: blocks up to 32 MiB come from the heap and freed memory stays in it for the
//! next, at the price of a process that keeps the memory it freed.

// The one place this crate calls C: `mallopt`, with its SAFETY comment.
#![allow(unsafe_code)]

use std::sync::atomic::{AtomicBool, Ordering};

/// Blocks below this size come from malloc's heap (glibc's ceiling for this setting on 64-bit
/// targets; larger values are refused).
pub const MMAP_THRESHOLD: i32 = 32 << 20;
/// Free memory at the top of the heap is returned to the system only beyond this much.
pub const TRIM_THRESHOLD: i32 = 1 << 30;

static KEPT: AtomicBool = AtomicBool::new(false);

/// Sets glibc's thresholds (above); returns whether both were taken. A no-op returning `false`
/// on other C libraries.
///
/// # Safety
/// Call it before the process starts any other thread: glibc documents `mallopt` as
/// MT-Unsafe (it changes malloc's global parameters without synchronising with threads that
/// allocate).
pub unsafe fn keep_freed_memory() -> bool {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    {
        // SAFETY: the caller guarantees no other thread exists; mallopt reads and writes only
        // malloc's own parameters, and both values are within glibc's documented ranges.
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
