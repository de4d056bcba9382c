#!/usr/bin/env python3
"""scikit-learn's LogisticRegression on the exact split `cargo xtask compare` uses: the twin of
the `linfa` backend.

    cargo xtask split --split pooled-80-20 --out /tmp/split-42
    python3 xtask/reference/sklearn_logistic.py /tmp/split-42 --dtype float64

The model is scikit-learn's default (C=1.0, lbfgs) with max_iter=100 (`--epochs` sets max_iter),
on pixels scaled to [0, 1] as in the linfa backend. `--dtype float64` is the notebook's input
(`X / 255.0`); float32 is linfa's default precision, and scikit-learn's lbfgs then works in
float32 too. It has no randomness, so `--seed` changes nothing. Prints one JSON line (see
_common.py). Needs `pip install numpy scikit-learn threadpoolctl`.
"""

import time
import warnings

from _common import emit, fail_missing, load, parse_args

try:
    import sklearn
    from sklearn.exceptions import ConvergenceWarning
    from sklearn.linear_model import LogisticRegression
except ImportError as e:
    fail_missing("sklearn-logistic", e, "scikit-learn")


def main() -> None:
    args = parse_args(__doc__, epochs=100)
    x_train, y_train = load(args.data, "train", args.dtype)
    x_test, y_test = load(args.data, "t10k", args.dtype)
    warnings.filterwarnings("ignore", category=ConvergenceWarning)
    start = time.perf_counter()
    model = LogisticRegression(max_iter=args.epochs).fit(x_train, y_train)
    seconds = time.perf_counter() - start
    emit(
        "sklearn-logistic",
        args,
        [seconds],
        "fit",
        model.score(x_test, y_test),
        len(x_train),
        len(x_test),
        {"scikit-learn": sklearn.__version__},
        iterations=int(model.n_iter_[0]),
        train_accuracy=float(model.score(x_train, y_train)),
        coef_dtype=str(model.coef_.dtype),
        model=f"multinomial logistic regression, L-BFGS, C 1 (scikit-learn, {args.dtype})",
    )


if __name__ == "__main__":
    main()
