#!/usr/bin/env python3
"""The `cnn` backend's network in PyTorch, for comparison on the same machine.

conv 3x3 (32) -> ReLU -> max-pool 2 -> conv 3x3 (64) -> ReLU -> max-pool 2 -> dense 128 -> ReLU
-> dropout 0.25 -> dense 10, PyTorch's default initialisation (as burn's), Adam (learning rate
1e-3), batches of 64, training set reshuffled every epoch, cross-entropy on the logits.

    cargo xtask split --split standard --val-fraction 0.2 --out /tmp/split-std
    python3 xtask/reference/torch_cnn.py /tmp/split-std --epochs 1

Trains with the loop of torch_mlp.py (`run`); prints one JSON line (see _common.py). Needs `pip install numpy torch threadpoolctl`.
"""

from _common import fail_missing, parse_args

try:
    import torch
    from torch import nn
except ImportError as e:
    fail_missing("torch-cnn", e, "torch")

from torch_mlp import run

BATCH = 64


DROPOUT = 0.25


def network(dropout: float) -> nn.Module:
    return nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, 32, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Conv2d(32, 64, 3),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(64 * 5 * 5, 128),
        nn.ReLU(),
        nn.Dropout(dropout),
        nn.Linear(128, 10),
    )


def main() -> None:
    args = parse_args(__doc__, epochs=7, dropout=DROPOUT)
    # Seeded before the network is built, so that its initial weights follow the seed.
    torch.manual_seed(args.seed)
    model = (
        f"CNN conv3x3(32)-pool-conv3x3(64)-pool-128-10, ReLU, dropout {args.dropout:g}; "
        "Adam (PyTorch)"
    )
    run("torch-cnn", network(args.dropout), BATCH, args, model)


if __name__ == "__main__":
    main()
