//! A spinning barrier for the training workers, which meet once per mini-batch.
//!
//! A batch takes tens of microseconds (benchmarks/reference.md: 1,750 batches of 32 in a 0.131 s
//! epoch), so parking threads in the kernel (as `std::sync::Barrier` does) would cost as much as
//! the work. Workers spin briefly, then yield. If a worker panics, the barrier is poisoned and the
//! others stop waiting instead of spinning forever.

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

/// A reusable barrier for a fixed number of threads.
#[derive(Debug)]
pub struct SpinBarrier {
    parties: usize,
    arrived: AtomicUsize,
    generation: AtomicUsize,
    poisoned: AtomicBool,
}

/// Another party panicked; the computation cannot continue.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Poisoned;

impl SpinBarrier {
    /// A barrier for `parties` threads.
    pub fn new(parties: usize) -> Self {
        Self {
            parties,
            arrived: AtomicUsize::new(0),
            generation: AtomicUsize::new(0),
            poisoned: AtomicBool::new(false),
        }
    }

    /// Blocks until all parties have called `wait` for this generation.
    pub fn wait(&self) -> Result<(), Poisoned> {
        if self.parties <= 1 {
            return Ok(());
        }
        let generation = self.generation.load(Ordering::Acquire);
        if self.arrived.fetch_add(1, Ordering::AcqRel) + 1 == self.parties {
            self.arrived.store(0, Ordering::Relaxed);
            self.generation.fetch_add(1, Ordering::AcqRel);
            return Ok(());
        }
        let mut spins = 0u32;
        while self.generation.load(Ordering::Acquire) == generation {
            if self.poisoned.load(Ordering::Relaxed) {
                return Err(Poisoned);
            }
            spins += 1;
            if spins < 20_000 {
                std::hint::spin_loop();
            } else {
                // Oversubscribed machine: let the late party run.
                std::thread::yield_now();
            }
        }
        Ok(())
    }

    /// Marks the barrier as unusable; waiting and future parties return [`Poisoned`].
    pub fn poison(&self) {
        self.poisoned.store(true, Ordering::Relaxed);
    }

    /// A guard that poisons the barrier if the current thread panics while holding it.
    pub fn poison_on_panic(&self) -> PoisonOnPanic<'_> {
        PoisonOnPanic(self)
    }
}

/// Poisons its barrier when dropped during a panic.
#[derive(Debug)]
pub struct PoisonOnPanic<'a>(&'a SpinBarrier);

impl Drop for PoisonOnPanic<'_> {
    fn drop(&mut self) {
        if std::thread::panicking() {
            self.0.poison();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicU64;

    #[test]
    fn no_thread_passes_before_all_arrive() {
        let barrier = SpinBarrier::new(3);
        let counter = AtomicU64::new(0);
        std::thread::scope(|s| {
            for _ in 0..3 {
                s.spawn(|| {
                    for round in 1..=200u64 {
                        counter.fetch_add(1, Ordering::SeqCst);
                        barrier.wait().unwrap();
                        assert!(counter.load(Ordering::SeqCst) >= 3 * round);
                        barrier.wait().unwrap();
                    }
                });
            }
        });
        assert_eq!(counter.load(Ordering::SeqCst), 600);
    }

    #[test]
    fn a_panicking_party_releases_the_others() {
        let barrier = SpinBarrier::new(2);
        let result = std::thread::scope(|s| {
            let waiter = s.spawn(|| barrier.wait());
            let panicker = s.spawn(|| {
                let _guard = barrier.poison_on_panic();
                panic!("worker failed");
            });
            assert!(panicker.join().is_err());
            waiter.join().unwrap()
        });
        assert_eq!(result, Err(Poisoned));
    }
}
