#!/usr/bin/env python3
"""Mean seconds per epoch of each backend, early epochs against late ones, from a report's history.csv.

Usage: python3 docs/evidence/candle/epoch_times.py REPORT_DIR

For each backend with epochs: the mean over its seeds of epochs 1-3 and of epochs 16-20, the
'seconds' column (training time of the epoch, validation pass included). Shows whether a
backend's later epochs slow down. Reads timings only.
"""
import csv
import sys
from collections import defaultdict


def main() -> None:
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    seconds = defaultdict(list)
    with open(f"{sys.argv[1]}/history.csv", newline="") as f:
        for r in csv.DictReader(f):
            if r["unit"] == "epoch":
                seconds[(r["backend"], int(r["step"]))].append(float(r["seconds"]))
    for backend in sorted({b for b, _ in seconds}):
        early = [s for e in (1, 2, 3) for s in seconds.get((backend, e), [])]
        late = [s for e in range(16, 21) for s in seconds.get((backend, e), [])]
        if early and late:
            print(f"{backend}: epochs 1-3 {sum(early) / len(early):.2f} s, "
                  f"epochs 16-20 {sum(late) / len(late):.2f} s")


if __name__ == "__main__":
    main()
