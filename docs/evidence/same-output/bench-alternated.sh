#!/bin/bash
# Alternates two builds of the tool on `bench burn-epoch` (3 timed runs) and `bench cnn-epoch`
# (2 timed runs), three rounds each, before then after.
# Usage: bench-alternated.sh BEFORE_BINARY AFTER_BINARY > bench-alternated.txt
set -u
declare -A bin=([before]="$1" [after]="$2")
for i in 1 2 3; do
  for b in before after; do
    echo "=== $b round $i burn-epoch"
    "${bin[$b]}" bench burn-epoch --runs 3 2>&1 | grep -v "^\s*$" | tail -15
  done
done
for i in 1 2 3; do
  for b in before after; do
    echo "=== $b round $i cnn-epoch"
    "${bin[$b]}" bench cnn-epoch --runs 2 2>&1 | grep -v "^\s*$" | tail -15
  done
done
