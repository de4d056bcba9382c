#!/usr/bin/env python3
"""The `cnn` backend's network in PyTorch, for comparison on the same machine.

conv 3x3 (32) -> ReLU -> max-pool 2 -> conv 3x3 (64) -> ReLU -> max-pool 2 -> dense 128 -> ReLU
-> dropout 0.25 -> dense 10, PyTorch's default initialisation (as burn's), Adam (learning rate
1e-3), batches of 64, training set reshuffled every epoch, cross-entropy on the logits.

    cargo xtask split --split standard --val-fraction 0.2 --out /tmp/split-std
    python3 xtask/reference/torch_cnn.py /tmp/split-std --epochs 1

Prints one JSON line (see _common.py). Needs `pip install numpy torch threadpoolctl`.
"""

import time

from _common import emit, fail_missing, load, parse_args

try:
    import torch
    from torch import nn
except ImportError as e:
    fail_missing("torch-cnn", e, "torch")

BATCH = 64


def network() -> nn.Module:
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
        nn.Dropout(0.25),
        nn.Linear(128, 10),
    )


def main() -> None:
    args = parse_args(__doc__, epochs=3)
    torch.manual_seed(args.seed)
    dtype = getattr(torch, args.dtype)
    x_train, y_train = load(args.data, "train", args.dtype)
    x_test, y_test = load(args.data, "t10k", args.dtype)
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    x_test, y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
    net = network().to(dtype)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(x_train))
        for lo in range(0, len(order), BATCH):
            idx = order[lo : lo + BATCH]
            optimiser.zero_grad()
            loss = loss_fn(net(x_train[idx]), y_train[idx])
            loss.backward()
            optimiser.step()
        seconds.append(time.perf_counter() - start)

    net.eval()
    with torch.no_grad():
        accuracy = (net(x_test).argmax(dim=1) == y_test).double().mean().item()
    emit(
        "torch-cnn",
        args,
        seconds,
        "epoch",
        accuracy,
        len(x_train),
        len(x_test),
        {"torch": torch.__version__},
        threads=torch.get_num_threads(),
    )


if __name__ == "__main__":
    main()
