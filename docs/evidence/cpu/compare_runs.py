#!/usr/bin/env python3
"""Test accuracy of each (backend, seed) in two reports' runs.csv, side by side, as markdown.

Usage: python3 docs/evidence/cpu/compare_runs.py FIRST_NAME FIRST/runs.csv SECOND_NAME SECOND/runs.csv

Prints the command, a table per backend (runs, how many differ, the largest difference in points,
the mean test accuracy in each), then one row per run (its accuracy in each file, the difference
in points, same or differs). Reads test accuracies only: nothing here chooses anything.
"""
import csv
import shlex
import sys
from collections import defaultdict


def load(path):
    with open(path, newline="") as f:
        return {(r["backend"], int(r["seed"])): float(r["test_accuracy"]) for r in csv.DictReader(f)}


def main() -> None:
    if len(sys.argv) != 5:
        sys.exit(__doc__)
    first_name, first_path, second_name, second_path = sys.argv[1:]
    first, second = load(first_path), load(second_path)
    print(f"`python3 docs/evidence/cpu/compare_runs.py {shlex.join(sys.argv[1:])}`\n")
    rows = []
    per_backend = defaultdict(list)
    for (backend, seed), a in sorted(first.items()):
        b = second.get((backend, seed))
        if b is None:
            continue
        points = 100 * (b - a)
        rows.append((backend, seed, a, b, points))
        per_backend[backend].append((a, b, points))
    print(f"| backend | runs | runs that differ | largest difference (points) | mean test acc, {first_name} | mean test acc, {second_name} |")
    print("|:---|---:|---:|---:|---:|---:|")
    for backend, runs in per_backend.items():
        differ = sum(1 for a, b, _ in runs if a != b)
        largest = max((p for _, _, p in runs), key=abs)
        mean_a = 100 * sum(a for a, _, _ in runs) / len(runs)
        mean_b = 100 * sum(b for _, b, _ in runs) / len(runs)
        print(f"| {backend} | {len(runs)} | {differ} | {largest:+.2f} | {mean_a:.2f}% | {mean_b:.2f}% |")
    print(f"\n| backend | seed | test acc, {first_name} | test acc, {second_name} | difference (points) | |")
    print("|:---|---:|---:|---:|---:|:---|")
    for backend, seed, a, b, points in rows:
        print(f"| {backend} | {seed} | {100 * a:.2f}% | {100 * b:.2f}% | {points:+.2f} | {'same' if a == b else 'differs'} |")


if __name__ == "__main__":
    main()
