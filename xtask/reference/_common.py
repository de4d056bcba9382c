"""What the reference twins share: reading the split `cargo xtask split` exports, the command
line, and the one JSON line each twin prints.

Every twin is run as `python3 <twin>.py DIR [--seed S] [--epochs E] [--dtype float32|float64]`,
plus the options of the model it builds (`--hidden 128,64`, `--dropout 0.2`, `--threads N`) where
the twin takes them, and prints exactly one line of JSON on stdout:

    {"twin": ..., "model": ..., "seconds": [...], "unit": "epoch"|"fit", "test_accuracy": ...,
     "train_images": ..., "test_images": ..., "seed": ..., "dtype": ...,
     "versions": {...}, "threads": ..., "blas": [...]}

`model` describes the model it built, in the words of the Rust backend's own description.

`seconds` holds one figure per epoch (or one per fit). A missing package gives instead
`{"twin": ..., "error": "missing Python package X: pip install Y"}` and exit status 3, so that
`cargo xtask bench --reference` can say what to install.
"""

import argparse
import json
import os
import sys
from pathlib import Path

# Exit status of a twin whose packages are missing.
MISSING_PACKAGE = 3


def fail_missing(twin: str, error: ImportError, pip_name: str) -> None:
    """Prints the one-line error for a missing package and exits."""
    name = error.name or str(error)
    print(
        json.dumps(
            {"twin": twin, "error": f"missing Python package {name}: pip install {pip_name}"}
        )
    )
    sys.exit(MISSING_PACKAGE)


def widths(text: str) -> list:
    """`128,64` as [128, 64]: one or more positive widths."""
    try:
        values = [int(w) for w in text.split(",") if w.strip()]
    except ValueError:
        values = []
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"give one or more positive widths, e.g. 128,64: {text!r}")
    return values


def parse_args(doc: str, epochs: int, hidden=None, dropout=None, threads=False):
    """The common options, and those of the model the twin builds: `--hidden` (default `hidden`)
    and `--dropout` (default `dropout`) where those are given, `--threads` where `threads`."""
    parser = argparse.ArgumentParser(description=doc, formatter_class=argparse.RawTextHelpFormatter)
    parser.add_argument("data", type=Path, help="a folder written by `cargo xtask split`")
    parser.add_argument("--seed", type=int, default=42, help="seed of the model (default 42)")
    parser.add_argument("--epochs", type=int, default=epochs, help=f"default {epochs}")
    parser.add_argument(
        "--dtype", choices=["float32", "float64"], default="float32", help="default float32"
    )
    if hidden is not None:
        default = ",".join(map(str, hidden))
        parser.add_argument(
            "--hidden", type=widths, default=hidden, help=f"hidden layer widths, default {default}"
        )
    if dropout is not None:
        parser.add_argument(
            "--dropout", type=float, default=dropout, help=f"dropout rate, default {dropout}"
        )
    if threads:
        parser.add_argument(
            "--threads", type=int, default=None, help="BLAS threads (default: the library's own)"
        )
    args = parser.parse_args()
    if dropout is not None and not 0.0 <= args.dropout < 1.0:
        parser.error(f"--dropout must be in [0, 1), got {args.dropout}")
    return args


def mlp_model(hidden: list, dropout, training: str, softmax=False) -> str:
    """An MLP's description, as the Rust backends write theirs."""
    layers = "-".join(str(w) for w in [784, *hidden, 10])
    extra = ", softmax" if softmax else ""
    extra += "" if dropout is None else f", dropout {dropout:g}"
    return f"MLP {layers}, ReLU{extra}; {training}"


def read_idx(path: Path, magic: int):
    import numpy as np

    try:
        data = path.read_bytes()
    except OSError as e:
        sys.exit(f"{path}: {e.strerror}; export the split with `cargo xtask split --out DIR`")
    if len(data) < 8 or int.from_bytes(data[:4], "big") != magic:
        sys.exit(f"{path}: not a raw IDX file with magic {magic:#010x}")
    dims = 3 if magic == 0x803 else 1
    shape = [int.from_bytes(data[4 + 4 * i : 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * dims).reshape(shape)


def load(folder: Path, prefix: str, dtype: str):
    """Images of `prefix` (`train` or `t10k`) as rows of pixels scaled to [0, 1], and labels."""
    images = read_idx(folder / f"{prefix}-images-idx3-ubyte", 0x803)
    labels = read_idx(folder / f"{prefix}-labels-idx1-ubyte", 0x801)
    return images.reshape(len(images), -1).astype(dtype) / 255.0, labels.astype("int64")


def blas_info() -> list:
    """The BLAS and OpenMP pools in use and the kernel they run (threadpoolctl)."""
    try:
        from threadpoolctl import threadpool_info
    except ImportError:
        return [{"note": "threadpoolctl not installed: pip install threadpoolctl"}]
    keep = ("internal_api", "version", "architecture", "num_threads", "threading_layer")
    return [{k: pool[k] for k in keep if k in pool} for pool in threadpool_info()]


def emit(twin: str, args: argparse.Namespace, seconds: list, unit: str, test_accuracy: float,
         n_train: int, n_test: int, versions: dict, threads=None, **extra) -> None:
    """Prints the twin's one JSON line. `threads`: the framework's own thread count; by default
    the largest BLAS/OpenMP pool's."""
    import numpy as np

    blas = blas_info()
    if threads is None:
        threads = max((pool.get("num_threads", 1) for pool in blas), default=1)

    record = {
        "twin": twin,
        "seconds": [round(s, 6) for s in seconds],
        "unit": unit,
        "test_accuracy": float(test_accuracy),
        "train_images": n_train,
        "test_images": n_test,
        "seed": args.seed,
        "dtype": args.dtype,
        "versions": {"python": sys.version.split()[0], "numpy": np.__version__, **versions},
        "threads": threads,
        "blas": blas,
        "env": {k: os.environ[k] for k in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE") if k in os.environ},
        **extra,
    }
    print(json.dumps(record))
