#!/usr/bin/env python3
"""The notebook's dropout/Adam network in Keras (TensorFlow CPU), the notebook's own framework: a
twin of the `burn` backend.

784-128-64-10 (`--hidden`), ReLU, dropout 0.2 (`--dropout`) after each hidden layer, Keras' default Glorot-uniform weights
and zero biases, Adam (learning rate 1e-3), batches of 32, shuffled every epoch, sparse
categorical cross-entropy.

    cargo xtask split --split standard --val-fraction 0.2 --out /tmp/split-std
    python3 xtask/reference/keras_mlp.py /tmp/split-std --epochs 20

Prints one JSON line (see _common.py). Needs `pip install numpy tensorflow-cpu threadpoolctl`.
"""

import os
import time

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

from _common import emit, fail_missing, load, mlp_model, parse_args  # noqa: E402

try:
    import tensorflow as tf
    from tensorflow import keras
except ImportError as e:
    fail_missing("keras-mlp", e, "tensorflow-cpu")


class EpochTimes(keras.callbacks.Callback):
    def on_train_begin(self, logs=None):
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self.start = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self.start)


def main() -> None:
    args = parse_args(__doc__, epochs=20, hidden=[128, 64], dropout=0.2)
    keras.utils.set_random_seed(args.seed)
    keras.backend.set_floatx(args.dtype)
    x_train, y_train = load(args.data, "train", args.dtype)
    x_test, y_test = load(args.data, "t10k", args.dtype)
    layers = [keras.Input(shape=(784,))]
    for width in args.hidden:
        layers += [
            keras.layers.Dense(width, activation="relu"),
            keras.layers.Dropout(args.dropout),
        ]
    model = keras.Sequential([*layers, keras.layers.Dense(10, activation="softmax")])
    model.compile(
        optimizer=keras.optimizers.Adam(1e-3),
        loss="sparse_categorical_crossentropy",
        metrics=["accuracy"],
    )
    times = EpochTimes()
    model.fit(x_train, y_train, epochs=args.epochs, batch_size=32, shuffle=True, verbose=0,
              callbacks=[times])
    _, accuracy = model.evaluate(x_test, y_test, verbose=0)
    threads = tf.config.threading.get_intra_op_parallelism_threads() or os.cpu_count()
    emit(
        "keras-mlp",
        args,
        times.seconds,
        "epoch",
        accuracy,
        len(x_train),
        len(x_test),
        {"tensorflow": tf.__version__, "keras": keras.__version__},
        threads=threads,
        model=mlp_model(args.hidden, args.dropout, "Adam (Keras)"),
    )


if __name__ == "__main__":
    main()
