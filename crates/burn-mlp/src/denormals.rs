//! Subnormal floats flushed to zero while burn trains.
//!
//! Adam's second-moment estimates and many late-training gradients fall into the subnormal range
//! (below 1.2e-38 in f32), where x86 CPUs take a slow microcode path for each operation. Without
//! this, later epochs ran slower than the first (docs/benchmarks.md, "Subnormal floats"). The
//! guard sets the SSE control register's flush-to-zero and denormals-are-zero bits on the
//! training thread, where burn's CPU devices do nearly all of this network's work, and restores
//! the previous value when dropped, so no other backend in the process is affected. TensorFlow,
//! the notebook's framework, runs its CPU kernels the same way. Elsewhere than x86-64 it does
//! nothing.

/// Flush-to-zero (bit 15) and denormals-are-zero (bit 6) of MXCSR.
#[cfg(target_arch = "x86_64")]
const FTZ_DAZ: u32 = 0x8040;

/// While alive, subnormal inputs and results are read and written as zero on this thread.
#[derive(Debug)]
pub struct FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    saved: u32,
}

impl FlushDenormals {
    /// Turns flushing on for the current thread.
    #[cfg(target_arch = "x86_64")]
    #[allow(deprecated, unsafe_code)]
    pub fn on() -> Self {
        use std::arch::x86_64::{_mm_getcsr, _mm_setcsr};
        // SAFETY: SSE is part of x86-64; setting FTZ and DAZ changes only how this thread
        // rounds subnormal floats, and the previous value is restored on drop.
        let saved = unsafe { _mm_getcsr() };
        unsafe { _mm_setcsr(saved | FTZ_DAZ) };
        Self { saved }
    }

    /// Does nothing on this architecture.
    #[cfg(not(target_arch = "x86_64"))]
    pub fn on() -> Self {
        Self {}
    }
}

impl Drop for FlushDenormals {
    #[cfg(target_arch = "x86_64")]
    #[allow(deprecated, unsafe_code)]
    fn drop(&mut self) {
        // SAFETY: restores the value read in `on`.
        unsafe { std::arch::x86_64::_mm_setcsr(self.saved) };
    }

    #[cfg(not(target_arch = "x86_64"))]
    fn drop(&mut self) {}
}

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
