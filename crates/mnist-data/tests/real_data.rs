//! The bundled MNIST copy: present, verified against the published checksums, with the published
//! label counts. This is the only test of this crate that reads the real files.

use mnist_data::source::{bundled_dir, load_dir};
use mnist_data::spec::KNOWN;
use mnist_data::{MNIST, Origin, Split, SplitKind, SplitSpec};

#[test]
fn bundled_mnist_is_complete_and_verified() {
    let dir = bundled_dir();
    let mnist = load_dir(&dir, &MNIST, true, &KNOWN, Origin::Bundled(dir.clone())).unwrap();
    assert_eq!(mnist.identified, Some(&MNIST));
    assert_eq!((mnist.train.len(), mnist.test.len()), (60_000, 10_000));
    assert!(mnist.files.iter().all(|f| f.verified));
    // Published label counts (see data/README.md).
    assert_eq!(
        mnist.train.class_counts(),
        [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
    );
    assert_eq!(
        mnist.test.class_counts(),
        [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]
    );

    let spec = SplitSpec {
        kind: SplitKind::Pooled8020,
        seed: 42,
        validation_fraction: 0.1,
    };
    let split = Split::new(&mnist.train, &mnist.test, spec).unwrap();
    assert_eq!(
        (split.train.len(), split.validation.len(), split.test.len()),
        (50_400, 5_600, 14_000)
    );
    // A shuffled pool keeps every class in every part.
    assert!(split.test.class_counts().iter().all(|&c| c > 1000));
}
