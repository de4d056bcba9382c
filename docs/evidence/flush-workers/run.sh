#!/bin/bash
# Alternates the guard before (xtask built at 9d9f8ad) and after (built at 1706e54), copied to
# /tmp/before and /tmp/after: burn-epoch, ndarray then flex. Run from the workspace root.
cd "$(git rev-parse --show-toplevel)"
for round in 1 2 3; do
  for side in before after; do
    echo "=== ndarray round $round $side" ; /tmp/$side/xtask-default bench burn-epoch --runs 5 2>&1
  done
done
for round in 1 2 3; do
  for side in before after; do
    echo "=== flex round $round $side" ; /tmp/$side/xtask-flex bench burn-epoch --runs 5 --set burn.device=flex 2>&1
  done
done
echo ALLDONE
