//! The candle CNN on the bundled MNIST: one epoch of the default recipe learns the digits. A
//! sanity check on the validation set (the test set is the comparison's, never a test's).

// Test helpers, like the tests themselves, fail by panicking.
#![allow(clippy::unwrap_used)]

use bench_core::{Backend, Hyperparams, Quiet, TrainData};
use candle_cnn::CandleCnnBackend;
use mnist_data::source::{bundled_dir, load_dir};
use mnist_data::spec::KNOWN;
use mnist_data::{MNIST, Origin, Split, SplitKind, SplitSpec};

#[test]
fn one_epoch_on_real_mnist_learns_the_digits() {
    let dir = bundled_dir();
    let mnist = load_dir(&dir, &MNIST, true, &KNOWN, Origin::Bundled(dir.clone())).unwrap();
    let spec = SplitSpec {
        kind: SplitKind::Standard,
        seed: 7,
        validation_fraction: 0.1,
    };
    let split = Split::new(&mnist.train, &mnist.test, spec).unwrap();
    let backend = CandleCnnBackend::default();
    let hp = Hyperparams {
        seed: 7,
        epochs: 1,
        ..backend.defaults()
    };
    let hp = bench_core::prepare(&backend, hp).unwrap();
    let data = TrainData {
        train: &split.train,
        validation: Some(&split.validation),
    };
    let model = backend.train(&hp, &data, &mut Quiet).unwrap();
    let proba = model.predict_proba(&split.validation).unwrap();
    let (loss, accuracy) = bench_core::loss_and_accuracy(&proba, split.validation.labels());
    // A floor for a network that has learnt the digits (chance is 10%), not a target.
    assert!(
        accuracy > 0.95,
        "validation accuracy {accuracy}, loss {loss}"
    );
}
