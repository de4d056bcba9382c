"""Compares two `compare` output folders file by file, leaving out what timing decides.

Usage: python3 compare_outputs.py BEFORE AFTER

PNGs and every other file are compared byte for byte. CSV tables are compared cell by cell with
the columns that hold times, throughput or memory dropped; results.json's runs (settings,
history, metrics, every test prediction) likewise, its provenance left out; a backend's notes
may differ (their text names files), and are listed. Prints one line per file and exits 1
if anything else differs.
"""

import csv
import filecmp
import json
import sys
from pathlib import Path

TIMED = ("seconds", "per_second", "latency", "throughput", "rss")


def untimed(value):
    """A JSON value with every key that holds a time, throughput or memory figure removed."""
    if isinstance(value, dict):
        return {k: untimed(v) for k, v in value.items() if not any(t in k for t in TIMED)}
    if isinstance(value, list):
        return [untimed(v) for v in value]
    return value


def rows(path):
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    keep = [i for i, name in enumerate(table[0]) if not any(t in name for t in TIMED)]
    return [[row[i] for i in keep] for row in table], [table[0][i] for i in keep]


def main(before, after):
    before, after = Path(before), Path(after)
    names = sorted({p.name for p in before.iterdir()} | {p.name for p in after.iterdir()})
    differs = False
    for name in names:
        a, b = before / name, after / name
        if not (a.exists() and b.exists()):
            print(f"{name}: only in {'after' if b.exists() else 'before'}")
            differs = True
        elif name.endswith(".csv"):
            (ra, cols), (rb, _) = rows(a), rows(b)
            same = ra == rb
            print(f"{name}: {'same' if same else 'DIFFERENT'} in {len(cols)} untimed columns, "
                  f"{len(ra) - 1} rows")
            differs |= not same
        elif name == "results.json":
            ra, rb = (untimed(json.loads(p.read_text())["runs"]) for p in (a, b))
            fields = sorted({f"{x['backend']}.{k}" for x, y in zip(ra, rb) for k in x
                             if x[k] != y.get(k)})
            predictions = sum(len(r.get("metrics", {}).get("test_predictions", [])) for r in ra)
            print(f"{name}: {len(ra)} runs against {len(rb)}, {predictions} test predictions; "
                  f"untimed fields that differ: {', '.join(fields) or 'none'} "
                  f"(provenance left out)")
            differs |= len(ra) != len(rb) or any(not f.endswith(".notes") for f in fields)
        elif name.endswith((".json", ".md")):
            same = filecmp.cmp(a, b, shallow=False)
            print(f"{name}: {'identical' if same else 'differs (times, provenance; see its CSV)'}")
        else:
            same = filecmp.cmp(a, b, shallow=False)
            print(f"{name}: {'identical' if same else 'DIFFERENT'}")
            differs |= not same
    return 1 if differs else 0


if __name__ == "__main__":
    sys.exit(main(*sys.argv[1:3]))
