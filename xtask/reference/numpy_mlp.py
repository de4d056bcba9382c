#!/usr/bin/env python3
"""The notebook's from-scratch MLP in NumPy: the twin of the `scratch` backend.

784-128-10, ReLU, softmax with cross-entropy, mini-batch SGD (learning rate 0.1, batches of 32,
training set reshuffled every epoch), weights drawn from N(0, 1)/sqrt(fan_in), zero biases.

    cargo xtask split --split pooled-80-20 --out /tmp/split-42
    python3 xtask/reference/numpy_mlp.py /tmp/split-42 --epochs 10 --dtype float64

`--dtype float64` is the notebook's own precision (`X / 255.0`); float32 is the scratch backend's.
Prints one JSON line (see _common.py). Needs numpy (`pip install numpy threadpoolctl`).
"""

import time

from _common import emit, fail_missing, load, parse_args

try:
    import numpy as np
except ImportError as e:
    fail_missing("numpy-mlp", e, "numpy")

LEARNING_RATE = 0.1
BATCH = 32
HIDDEN = 128


def main() -> None:
    args = parse_args(__doc__, epochs=10)
    x_train, y_train = load(args.data, "train", args.dtype)
    x_test, y_test = load(args.data, "t10k", args.dtype)
    rng = np.random.default_rng(args.seed)
    dt = np.dtype(args.dtype)
    w1 = (rng.standard_normal((784, HIDDEN)) / np.sqrt(784)).astype(dt)
    b1 = np.zeros(HIDDEN, dt)
    w2 = (rng.standard_normal((HIDDEN, 10)) / np.sqrt(HIDDEN)).astype(dt)
    b2 = np.zeros(10, dt)
    lr = dt.type(LEARNING_RATE)
    onehot = np.eye(10, dtype=dt)

    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        order = rng.permutation(len(x_train))
        for lo in range(0, len(order), BATCH):
            idx = order[lo : lo + BATCH]
            x, y = x_train[idx], onehot[y_train[idx]]
            # Forward.
            z1 = x @ w1 + b1
            a1 = np.maximum(z1, 0)
            z2 = a1 @ w2 + b2
            z2 -= z2.max(axis=1, keepdims=True)
            p = np.exp(z2)
            p /= p.sum(axis=1, keepdims=True)
            # Backward: gradient of the mean cross-entropy.
            dz2 = (p - y) / len(idx)
            dw2 = a1.T @ dz2
            db2 = dz2.sum(axis=0)
            dz1 = (dz2 @ w2.T) * (z1 > 0)
            dw1 = x.T @ dz1
            db1 = dz1.sum(axis=0)
            w1 -= lr * dw1
            b1 -= lr * db1
            w2 -= lr * dw2
            b2 -= lr * db2
        seconds.append(time.perf_counter() - start)

    logits = np.maximum(x_test @ w1 + b1, 0) @ w2 + b2
    accuracy = float((logits.argmax(axis=1) == y_test).mean())
    emit("numpy-mlp", args, seconds, "epoch", accuracy, len(x_train), len(x_test), {})


if __name__ == "__main__":
    main()
