#!/usr/bin/env bash
# The allocator setting measured apart: each workload timed by `xtask bench` in its own process,
# with the setting (the default) and with MNIST_COMPARE_MALLOC=default (glibc's defaults),
# alternated, three rounds. Logs go to ./logs/; table.py reads them.
# Run from the workspace root, with nothing else running:
#   cargo build --release -p xtask && docs/evidence/allocator/measure.sh
set -euo pipefail
here=docs/evidence/allocator
bin=target/release/xtask
mkdir -p "$here/logs"
for round in 1 2 3; do
  for workload in burn-epoch scratch-epoch linfa-fit; do
    runs=5
    [ "$workload" = linfa-fit ] && runs=3
    for malloc in kept default; do
      log="$here/logs/$workload-$malloc-$round.txt"
      echo "round $round: $workload, allocator $malloc" >&2
      if [ "$malloc" = default ]; then
        MNIST_COMPARE_MALLOC=default "$bin" bench "$workload" --runs "$runs" >"$log" 2>&1
      else
        env -u MNIST_COMPARE_MALLOC "$bin" bench "$workload" --runs "$runs" >"$log" 2>&1
      fi
    done
  done
done
