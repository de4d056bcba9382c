#!/usr/bin/env python3
"""Mean validation loss per epoch over the seeds of one backend, from a report's history.csv.

Usage: python3 docs/evidence/mean_validation_loss.py REPORT_DIR BACKEND

Prints one line per epoch (mean validation loss and accuracy over the seeds, the seeds' losses)
and the epoch with the lowest mean validation loss: the rule docs/defaults.md uses to choose a
default number of epochs. Reads the validation columns only; the test set plays no part.
"""
import csv
import sys
from collections import defaultdict


def main() -> None:
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    report, backend = sys.argv[1], sys.argv[2]
    losses = defaultdict(dict)
    accuracies = defaultdict(dict)
    with open(f"{report}/history.csv", newline="") as f:
        for row in csv.DictReader(f):
            if row["backend"] != backend or not row["validation_loss"]:
                continue
            step, seed = int(row["step"]), row["seed"]
            losses[step][seed] = float(row["validation_loss"])
            accuracies[step][seed] = float(row["validation_accuracy"])
    if not losses:
        sys.exit(f"{report}/history.csv has no validation loss for {backend}")
    every_seed = set().union(*(set(v) for v in losses.values()))
    seeds = sorted(set.intersection(*(set(v) for v in losses.values())), key=int)
    if not seeds:
        sys.exit(f"no seed of {backend} has a validation loss at every epoch")
    if len(seeds) < len(every_seed):
        left_out = ", ".join(sorted(every_seed - set(seeds), key=int))
        print(f"left out, missing some epochs (stopped early or failed): seeds {left_out}")
    best = None
    print("epoch  mean val loss  mean val acc  per seed (" + ", ".join(seeds) + ")")
    for step in sorted(losses):
        mean = sum(losses[step][s] for s in seeds) / len(seeds)
        acc = sum(accuracies[step][s] for s in seeds) / len(seeds)
        each = ", ".join(f"{losses[step][s]:.4f}" for s in seeds)
        print(f"{step:5}  {mean:13.4f}  {100 * acc:11.2f}%  {each}")
        if best is None or mean < best[1]:
            best = (step, mean)
    print(f"lowest mean validation loss: epoch {best[0]} ({best[1]:.4f})")


if __name__ == "__main__":
    main()
