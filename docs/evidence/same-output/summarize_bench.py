"""Summarises bench-alternated.txt: per workload and side, each round's median and the median,
minimum and maximum of every timed run.

Usage: python3 summarize_bench.py bench-alternated.txt
"""

import re
import statistics
import sys
from collections import defaultdict


def main(path):
    header = re.compile(r"^=== (before|after) round (\d) (\S+)")
    runs = re.compile(r"; runs: ([\d., ]+)$")
    medians, timed = defaultdict(list), defaultdict(list)
    key = None
    for line in open(path):
        if m := header.match(line):
            key = (m.group(3), m.group(1))
        elif key and line.startswith("median ") and (r := runs.search(line.strip())):
            values = [float(v) for v in r.group(1).split(",")]
            medians[key].append(statistics.median(values))
            timed[key].extend(values)
    print("| workload | side | round medians (s) | median of all runs (s) | min–max (s) |")
    print("|---|---|---|---|---|")
    for (workload, side) in sorted(medians, key=lambda k: (k[0], k[1] != "before")):
        values = timed[(workload, side)]
        rounds = ", ".join(f"{m:.3f}" for m in medians[(workload, side)])
        print(f"| {workload} | {side} | {rounds} | {statistics.median(values):.3f} | "
              f"{min(values):.3f}–{max(values):.3f} |")


if __name__ == "__main__":
    main(sys.argv[1])
