"""The allocator table: each workload's median time per round, with the setting and without,
from the logs measure.sh wrote; the median of the three rounds and the ratio."""
import pathlib
import re
import statistics
import sys

logs = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else "docs/evidence/allocator/logs")
names = {"kept": "the tool's setting", "default": "glibc's defaults"}
print("| workload | allocator | per-round medians (s) | median of rounds (s) | defaults / setting |")
print("|:---|:---|:---|---:|---:|")
for workload in ["burn-epoch", "scratch-epoch", "linfa-fit"]:
    medians = {}
    for malloc in ["kept", "default"]:
        values = []
        for log in sorted(logs.glob(f"{workload}-{malloc}-*.txt")):
            m = re.search(r"^median ([0-9.]+) s", log.read_text(), re.M)
            values.append(float(m.group(1)))
        medians[malloc] = statistics.median(values)
        ratio = "" if malloc == "kept" else f"{medians['default'] / medians['kept']:.2f}"
        shown = ", ".join(f"{v:.3f}" for v in values)
        print(f"| {workload} | {names[malloc]} | {shown} | {medians[malloc]:.3f} | {ratio} |")
