"""Diffs a merged report against the whole run's: the CSV tables without their timing columns,
the charts byte for byte, and the lines of summary.md that differ. Prints markdown."""
import csv
import difflib
import sys
from pathlib import Path

TIMING = {"training_seconds", "predictions_per_second"}

def rows(path, drop):
    with open(path, newline="") as f:
        table = list(csv.reader(f))
    keep = [i for i, name in enumerate(table[0]) if name not in drop]
    return [[row[i] for i in keep] for row in table]

whole, merged = Path(sys.argv[1]), Path(sys.argv[2])
print("| file | compared | rows | differing rows |")
print("|:---|:---|---:|---:|")
for name, drop in [("runs.csv", TIMING), ("summary.csv", TIMING), ("across-seeds.csv", set()),
                   ("mcnemar.csv", set()), ("classes.csv", set()), ("history.csv", {"seconds"})]:
    a, b = rows(whole / name, drop), rows(merged / name, drop)
    differ = sum(x != y for x, y in zip(a, b)) + abs(len(a) - len(b))
    what = "without " + ", ".join(sorted(drop)) if drop else "whole file"
    print(f"| {name} | {what} | {len(a) - 1} | {differ} |")
print("\n| chart | the same bytes |")
print("|:---|:---|")
for png in sorted(whole.glob("*.png")):
    same = png.read_bytes() == (merged / png.name).read_bytes()
    print(f"| {png.name} | {'yes' if same else 'NO'} |")
a = (whole / "summary.md").read_text().splitlines()
b = (merged / "summary.md").read_text().splitlines()
changed = [l[2:] for l in difflib.ndiff(a, b) if l.startswith("- ")]
print(f"\nsummary.md: {len(changed)} of {len(a)} lines differ; each, as the whole run wrote it:\n")
for line in changed:
    print(f"    {line[:160]}")
