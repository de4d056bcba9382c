//! numpy's legacy `RandomState(seed).permutation(n)`, bit for bit.
//!
//! The notebook split its 70k pooled images with scikit-learn's
//! `train_test_split(X, y, test_size=0.2, random_state=seed)`, which takes the first 20% of
//! `numpy.random.RandomState(seed).permutation(70000)` as the test set and the rest as the training
//! set. Reproducing that permutation makes `pooled-80-20` the notebook's split image for image, so
//! a backend can be compared with a scikit-learn figure on the same test images.
//!
//! The algorithms are the published ones numpy's legacy `RandomState` keeps frozen: MT19937 seeded
//! with `init_genrand`, Fisher-Yates from the last element down, and each index drawn by masking
//! 32-bit outputs to the smallest covering power of two and rejecting values above the bound.

const STATE_WORDS: usize = 624;
const SHIFT_WORDS: usize = 397;

/// The MT19937 generator.
struct Mt19937 {
    key: [u32; STATE_WORDS],
    pos: usize,
}

impl Mt19937 {
    fn new(seed: u32) -> Self {
        let mut key = [0u32; STATE_WORDS];
        key[0] = seed;
        for i in 1..STATE_WORDS {
            let prev = key[i - 1];
            key[i] = 1_812_433_253_u32
                .wrapping_mul(prev ^ (prev >> 30))
                .wrapping_add(i as u32);
        }
        Self {
            key,
            pos: STATE_WORDS,
        }
    }

    fn twist(&mut self) {
        for i in 0..STATE_WORDS {
            let y = (self.key[i] & 0x8000_0000) | (self.key[(i + 1) % STATE_WORDS] & 0x7fff_ffff);
            let mut next = self.key[(i + SHIFT_WORDS) % STATE_WORDS] ^ (y >> 1);
            if y & 1 == 1 {
                next ^= 0x9908_b0df;
            }
            self.key[i] = next;
        }
        self.pos = 0;
    }

    fn next_u32(&mut self) -> u32 {
        if self.pos == STATE_WORDS {
            self.twist();
        }
        let mut y = self.key[self.pos];
        self.pos += 1;
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c_5680;
        y ^= (y << 15) & 0xefc6_0000;
        y ^ (y >> 18)
    }

    fn next_u64(&mut self) -> u64 {
        let high = u64::from(self.next_u32());
        (high << 32) | u64::from(self.next_u32())
    }

    /// Uniform in `0..=max`, as numpy's `random_interval`.
    fn interval(&mut self, max: u64) -> u64 {
        if max == 0 {
            return 0;
        }
        let mask = u64::MAX >> max.leading_zeros();
        loop {
            let value = if max <= u64::from(u32::MAX) {
                u64::from(self.next_u32()) & mask
            } else {
                self.next_u64() & mask
            };
            if value <= max {
                return value;
            }
        }
    }
}

/// `numpy.random.RandomState(seed).permutation(n)`.
pub fn permutation(n: usize, seed: u32) -> Vec<usize> {
    let mut rng = Mt19937::new(seed);
    let mut order: Vec<usize> = (0..n).collect();
    for i in (1..n).rev() {
        // `interval(i)` is at most `i`, so it fits a usize.
        let j = rng.interval(i as u64) as usize;
        order.swap(i, j);
    }
    order
}

#[cfg(test)]
mod tests {
    use super::*;

    // Expected values printed by numpy 2.4.6 (`np.random.RandomState(seed).permutation(n)`).
    #[test]
    fn matches_numpy() {
        assert_eq!(permutation(10, 0), [2, 8, 4, 9, 1, 6, 7, 3, 0, 5]);
        assert_eq!(
            permutation(12, u32::MAX),
            [11, 8, 5, 9, 1, 10, 6, 0, 4, 7, 2, 3]
        );
        let p = permutation(70_000, 42);
        assert_eq!(
            p[..8],
            [46730, 48393, 41416, 34506, 43725, 11615, 24656, 22411]
        );
        assert_eq!(p[70_000 - 4..], [6265, 54886, 860, 15795]);
    }

    #[test]
    fn reference_mt19937_output() {
        // The first output of MT19937 seeded with init_genrand(5489), from the reference paper's code.
        assert_eq!(Mt19937::new(5489).next_u32(), 3_499_211_612);
    }

    #[test]
    fn large_bounds_draw_64_bits_and_stay_in_range() {
        let mut rng = Mt19937::new(7);
        let max = (1u64 << 40) + 3;
        assert!((0..1000).all(|_| rng.interval(max) <= max));
        assert_eq!(rng.interval(0), 0);
    }
}
