//! The candle MLP on the bundled MNIST: one epoch of the default recipe learns the digits. A
//! sanity check on the validation set (the test set is the comparison's, never a test's).

use bench_core::{Backend, Hyperparams, Quiet, TrainData};
use candle_mlp::CandleBackend;
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
    let backend = CandleBackend::default();
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
        accuracy > 0.93,
        "validation accuracy {accuracy}, loss {loss}"
    );
    assert_eq!(
        model.param_count(),
        784 * 128 + 128 + 128 * 64 + 64 + 64 * 10 + 10
    );
}
