#!/usr/bin/env python3
"""The notebook's from-scratch MLP in NumPy: the twin of the `scratch` backend.

784-128-10 (`--hidden` for other widths), ReLU, softmax with cross-entropy, mini-batch SGD
(learning rate 0.1, batches of 32, training set reshuffled every epoch), weights drawn from
N(0, 1)/sqrt(fan_in), zero biases. `--threads N` limits the BLAS threads (threadpoolctl).

    cargo xtask split --split pooled-80-20 --out /tmp/split-42
    python3 xtask/reference/numpy_mlp.py /tmp/split-42 --epochs 10 --dtype float64

`--dtype float64` is the notebook's own precision (`X / 255.0`); float32 is the scratch backend's.
Prints one JSON line (see _common.py). Needs numpy (`pip install numpy threadpoolctl`).
"""

import time

from _common import emit, fail_missing, load, mlp_model, parse_args

try:
    import numpy as np
except ImportError as e:
    fail_missing("numpy-mlp", e, "numpy")

LEARNING_RATE = 0.1
BATCH = 32
HIDDEN = [128]


def main() -> None:
    args = parse_args(__doc__, epochs=10, hidden=HIDDEN, threads=True)
    if args.threads is not None:
        try:
            from threadpoolctl import threadpool_limits
        except ImportError as e:
            fail_missing("numpy-mlp", e, "threadpoolctl")
        threadpool_limits(args.threads)
    x_train, y_train = load(args.data, "train", args.dtype)
    x_test, y_test = load(args.data, "t10k", args.dtype)
    rng = np.random.default_rng(args.seed)
    dt = np.dtype(args.dtype)
    sizes = [784, *args.hidden, 10]
    weights = [
        (rng.standard_normal((n_in, n_out)) / np.sqrt(n_in)).astype(dt)
        for n_in, n_out in zip(sizes, sizes[1:])
    ]
    biases = [np.zeros(n_out, dt) for n_out in sizes[1:]]
    lr = dt.type(LEARNING_RATE)
    onehot = np.eye(10, dtype=dt)

    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        order = rng.permutation(len(x_train))
        for lo in range(0, len(order), BATCH):
            idx = order[lo : lo + BATCH]
            x, y = x_train[idx], onehot[y_train[idx]]
            # Forward, keeping each layer's input and pre-activation.
            inputs, pre = [x], []
            for w, b in zip(weights[:-1], biases[:-1]):
                pre.append(inputs[-1] @ w + b)
                inputs.append(np.maximum(pre[-1], 0))
            z = inputs[-1] @ weights[-1] + biases[-1]
            z -= z.max(axis=1, keepdims=True)
            p = np.exp(z)
            p /= p.sum(axis=1, keepdims=True)
            # Backward: gradient of the mean cross-entropy, last layer first.
            dz = (p - y) / len(idx)
            for k in range(len(weights) - 1, -1, -1):
                dw = inputs[k].T @ dz
                db = dz.sum(axis=0)
                if k > 0:
                    dz = (dz @ weights[k].T) * (pre[k - 1] > 0)
                weights[k] -= lr * dw
                biases[k] -= lr * db
        seconds.append(time.perf_counter() - start)

    h = x_test
    for w, b in zip(weights[:-1], biases[:-1]):
        h = np.maximum(h @ w + b, 0)
    logits = h @ weights[-1] + biases[-1]
    accuracy = float((logits.argmax(axis=1) == y_test).mean())
    model = mlp_model(args.hidden, None, "SGD, hand-written backprop (NumPy)", softmax=True)
    emit("numpy-mlp", args, seconds, "epoch", accuracy, len(x_train), len(x_test), {}, model=model)


if __name__ == "__main__":
    main()
