//! Splits are disjoint, complete and deterministic per seed (property tests), with the
//! documented sizes.

use mnist_data::split::{SplitIndices, split_indices};
use mnist_data::{Split, SplitKind, SplitSpec, synth};
use proptest::prelude::*;

fn spec(kind: SplitKind, seed: u64, validation_fraction: f64) -> SplitSpec {
    SplitSpec {
        kind,
        seed,
        validation_fraction,
    }
}

fn kinds() -> impl Strategy<Value = SplitKind> {
    prop_oneof![Just(SplitKind::Standard), Just(SplitKind::Pooled8020)]
}

proptest! {
    #[test]
    fn disjoint_complete_and_deterministic(
        n_train in 2usize..400,
        n_test in 1usize..200,
        seed in any::<u32>(),
        kind in kinds(),
        frac in 0.0f64..0.5,
    ) {
        let s = spec(kind, u64::from(seed), frac);
        let a = split_indices(n_train, n_test, &s).unwrap();
        prop_assert_eq!(&a, &split_indices(n_train, n_test, &s).unwrap());

        let SplitIndices { train, validation, test } = &a;
        let mut all: Vec<usize> = train.iter().chain(validation).chain(test).copied().collect();
        all.sort_unstable();
        prop_assert_eq!(all, (0..n_train + n_test).collect::<Vec<_>>());
        prop_assert!(!train.is_empty());
        if kind == SplitKind::Standard {
            prop_assert!(test.iter().all(|&i| i >= n_train));
            prop_assert!(train.iter().chain(validation).all(|&i| i < n_train));
        }
    }

    #[test]
    fn different_seeds_shuffle_differently(seed in 0..u64::from(u32::MAX), kind in kinds()) {
        let a = split_indices(300, 100, &spec(kind, seed, 0.1)).unwrap();
        let b = split_indices(300, 100, &spec(kind, seed.wrapping_add(1), 0.1)).unwrap();
        prop_assert_ne!(a, b);
    }
}

#[test]
fn sizes_follow_the_protocols() {
    let s = split_indices(60_000, 10_000, &spec(SplitKind::Standard, 1, 0.1)).unwrap();
    assert_eq!(
        (s.train.len(), s.validation.len(), s.test.len()),
        (54_000, 6_000, 10_000)
    );
    let s = split_indices(60_000, 10_000, &spec(SplitKind::Pooled8020, 1, 0.1)).unwrap();
    assert_eq!(
        (s.train.len(), s.validation.len(), s.test.len()),
        (50_400, 5_600, 14_000)
    );
    let s = split_indices(60_000, 10_000, &spec(SplitKind::Pooled8020, 1, 0.0)).unwrap();
    assert_eq!(
        (s.train.len(), s.validation.len(), s.test.len()),
        (56_000, 0, 14_000)
    );
}

#[test]
fn pooled_is_scikit_learns_train_test_split() {
    // `train_test_split(np.arange(70000), test_size=0.2, random_state=42)` and, for an uneven
    // size, `train_test_split(np.arange(11), test_size=0.2, random_state=1)`, printed by
    // scikit-learn 1.9.1 with numpy 2.4.6.
    let s = split_indices(60_000, 10_000, &spec(SplitKind::Pooled8020, 42, 0.0)).unwrap();
    assert_eq!(s.test[..5], [46730, 48393, 41416, 34506, 43725]);
    assert_eq!(s.train[..5], [47339, 67456, 12308, 32557, 664]);
    let s = split_indices(8, 3, &spec(SplitKind::Pooled8020, 1, 0.0)).unwrap();
    assert_eq!(s.test, [2, 3, 4]);
    assert_eq!(s.train, [9, 1, 6, 0, 7, 10, 8, 5]);
}

#[test]
fn pooled_seeds_beyond_32_bits_are_refused() {
    let seed = u64::from(u32::MAX) + 1;
    let err = split_indices(60, 10, &spec(SplitKind::Pooled8020, seed, 0.0)).unwrap_err();
    assert!(err.to_string().starts_with("--seed 4294967296"), "{err}");
    assert!(split_indices(60, 10, &spec(SplitKind::Standard, seed, 0.0)).is_ok());
}

#[test]
fn bad_validation_fractions_name_the_flag() {
    for frac in [-0.1, 1.0, 2.0, f64::NAN] {
        let err = split_indices(100, 10, &spec(SplitKind::Standard, 1, frac)).unwrap_err();
        assert!(err.to_string().starts_with("--val-fraction"), "{err}");
    }
    let err = split_indices(1, 10, &spec(SplitKind::Standard, 1, 0.9)).unwrap_err();
    assert!(
        err.to_string().contains("leaves no training images"),
        "{err}"
    );
}

#[test]
fn materialised_split_carries_the_right_images() {
    let train = synth::separable(50, 1);
    let test = synth::separable(20, 2);
    let split = Split::new(&train, &test, spec(SplitKind::Pooled8020, 3, 0.25)).unwrap();
    let idx = split_indices(50, 20, &split.spec).unwrap();
    let source = |i: usize| {
        if i < 50 {
            (train.image(i), train.labels()[i])
        } else {
            (test.image(i - 50), test.labels()[i - 50])
        }
    };
    for (part, indices) in [
        (&split.train, &idx.train),
        (&split.validation, &idx.validation),
        (&split.test, &idx.test),
    ] {
        assert_eq!(part.len(), indices.len());
        for (k, &i) in indices.iter().enumerate() {
            assert_eq!((part.image(k), part.labels()[k]), source(i));
        }
    }
}
