#!/usr/bin/env python3
"""scikit-learn's LogisticRegression on the exact split `cargo xtask compare` uses.

The reference the linfa backend is held to. Export the split, then fit:

    cargo xtask split --split pooled-80-20 --val-fraction 0 --seed 42 --out /tmp/split-42
    python3 xtask/reference/sklearn_logistic.py /tmp/split-42

Needs numpy and scikit-learn (`pip install numpy scikit-learn`). Pixels are scaled to [0, 1] as
in the linfa backend; the model is scikit-learn's default (C=1.0, lbfgs) with max_iter=100.
"""

import sys
import time
import warnings
from pathlib import Path

import numpy as np
import sklearn
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression


def read_idx(path: Path, magic: int) -> np.ndarray:
    data = path.read_bytes()
    if int.from_bytes(data[:4], "big") != magic:
        sys.exit(f"{path}: not an IDX file with magic {magic:#010x}")
    dims = 3 if magic == 0x803 else 1
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder: Path, prefix: str):
    images = read_idx(folder / f"{prefix}-images-idx3-ubyte", 0x803)
    labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte", 0x801)
    return images.reshape(len(images), -1).astype(np.float64) / 255.0, labels


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    folder = Path(sys.argv[1])
    x_train, y_train = load(folder, "train")
    x_test, y_test = load(folder, "t10k")
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    start = time.perf_counter()
    model = LogisticRegression(max_iter=100).fit(x_train, y_train)
    seconds = time.perf_counter() - start
    print(
        f"scikit-learn {sklearn.__version__} LogisticRegression(max_iter=100) on {folder}: "
        f"{len(x_train)} train, {len(x_test)} test; {model.n_iter_[0]} iterations, "
        f"fit {seconds:.1f} s, train {100 * model.score(x_train, y_train):.2f}%, "
        f"test {100 * model.score(x_test, y_test):.2f}%"
    )


if __name__ == "__main__":
    main()
