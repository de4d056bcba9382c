#!/usr/bin/env python3
"""The notebook's dropout/Adam network in PyTorch: a twin of the `burn` backend (the fastest CPU
peer we know of).

784-128-64-10 (`--hidden`), ReLU, dropout 0.2 (`--dropout`) after each hidden layer, Glorot-uniform weights and zero biases
(as Keras and the burn backend), Adam (learning rate 1e-3), batches of 32, training set
reshuffled every epoch, cross-entropy on the logits.

    cargo xtask split --split standard --val-fraction 0.2 --out /tmp/split-std
    python3 xtask/reference/torch_mlp.py /tmp/split-std --epochs 20

Batches are cut from one tensor by index (no DataLoader), the fastest plain idiom on a CPU.
Prints one JSON line (see _common.py). Needs `pip install numpy torch threadpoolctl`.
"""

import re
import time

from _common import emit, fail_missing, load, mlp_model, parse_args

try:
    import torch
    from torch import nn
except ImportError as e:
    fail_missing("torch-mlp", e, "torch")

BATCH = 32


HIDDEN = [128, 64]
DROPOUT = 0.2


def network(hidden: list, dropout: float) -> nn.Module:
    layers = []
    for n_in, n_out in zip([784, *hidden], hidden):
        layers += [nn.Linear(n_in, n_out), nn.ReLU(), nn.Dropout(dropout)]
    layers.append(nn.Linear(hidden[-1], 10))
    net = nn.Sequential(*layers)
    for m in net:
        if isinstance(m, nn.Linear):
            nn.init.xavier_uniform_(m.weight)
            nn.init.zeros_(m.bias)
    return net


def run(twin: str, net: nn.Module, batch: int, args, model: str) -> None:
    """Trains `net` with Adam (1e-3) on batches of `batch`, reshuffled every epoch, and prints
    the twin's JSON line with `model`, its description: the loop every PyTorch twin shares. The
    caller seeds torch before it builds `net`, so that initial weights, shuffles and dropout all
    follow the seed."""
    dtype = getattr(torch, args.dtype)
    x_train, y_train = load(args.data, "train", args.dtype)
    x_test, y_test = load(args.data, "t10k", args.dtype)
    x_train, y_train = torch.from_numpy(x_train), torch.from_numpy(y_train)
    x_test, y_test = torch.from_numpy(x_test), torch.from_numpy(y_test)
    net = net.to(dtype)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    seconds = []
    for _ in range(args.epochs):
        start = time.perf_counter()
        net.train()
        order = torch.randperm(len(x_train))
        for lo in range(0, len(order), batch):
            idx = order[lo : lo + batch]
            optimiser.zero_grad()
            loss = loss_fn(net(x_train[idx]), y_train[idx])
            loss.backward()
            optimiser.step()
        seconds.append(time.perf_counter() - start)

    net.eval()
    with torch.no_grad():
        accuracy = (net(x_test).argmax(dim=1) == y_test).double().mean().item()
    emit(
        twin,
        args,
        seconds,
        "epoch",
        accuracy,
        len(x_train),
        len(x_test),
        {"torch": torch.__version__},
        threads=torch.get_num_threads(),
        model=model,
        onednn=onednn(),
    )


def onednn() -> str:
    """Whether PyTorch's CPU kernels may use oneDNN (MKL-DNN), as PyTorch reports it."""
    if not torch.backends.mkldnn.is_available():
        return "oneDNN not built in"
    found = re.search(r"MKL-DNN (v[0-9.]+)", torch.__config__.show())
    version = found.group(1) if found else "(version not reported)"
    state = "enabled" if torch.backends.mkldnn.enabled else "disabled"
    return f"oneDNN {version} {state}"


def main() -> None:
    args = parse_args(__doc__, epochs=20, hidden=HIDDEN, dropout=DROPOUT)
    # Seeded before the network is built, so that its initial weights follow the seed.
    torch.manual_seed(args.seed)
    model = mlp_model(args.hidden, args.dropout, "Adam (PyTorch)")
    run("torch-mlp", network(args.hidden, args.dropout), BATCH, args, model)


if __name__ == "__main__":
    main()
