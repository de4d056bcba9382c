#!/usr/bin/env bash
# The whole command and its three shards, all three at once with GNU parallel, then the merge;
# each process timed by GNU time (wall clock and peak resident memory). Then the merged report
# is diffed against the whole one: runs.csv and summary.csv without their timing columns,
# across-seeds.csv and mcnemar.csv as they are, and summary.md side by side.
# Usage, from the checkout, on a quiet machine:
#   cargo build --release -p xtask --features candle
#   docs/evidence/scale/run.sh [WORK_DIR]
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
xtask=${XTASK:-target/release/xtask}
work=${1:-$(mktemp -d)}
# Everything is written into the work folder first and copied here at the end: a file of the
# checkout changed while the shards start would mark their commit as changed.
logs="$work/logs"
mkdir -p "$logs"
command=(compare --seeds 3 --backends scratch,linfa,burn)
timed() { /usr/bin/time -f '%e s wall, %M KiB peak RSS' -o "$1" "${@:2}"; }

rm -rf "$work/whole" "$work"/part-* "$work/merged"
timed "$logs/whole.time" "$xtask" "${command[@]}" --out "$work/whole" 2> "$logs/whole.log"
export -f timed
export xtask logs work
parallel -j 3 timed "$logs/shard-{}.time" "$xtask" "${command[@]}" --shard {}/3 \
  --out "$work/part-{}" "2>" "$logs/shard-{}.log" ::: 1 2 3
timed "$logs/merge.time" "$xtask" merge "$work"/part-{1,2,3} --out "$work/merged" \
  2> "$logs/merge.log"

git rev-parse --short HEAD > "$logs/commit"
git status --porcelain --untracked-files=no >> "$logs/commit"
grep -m1 'model name' /proc/cpuinfo | cut -d: -f2- | sed 's/^ //' > "$logs/cpu"
nproc >> "$logs/cpu"
python3 "$here/compare_files.py" "$work/whole" "$work/merged" > "$work/diff.md"
rm -rf "$here/logs" && cp -r "$logs" "$here/logs" && cp "$work/diff.md" "$here/diff.md"
diff -y -W 240 "$work/whole/summary.md" "$work/merged/summary.md" > "$here/summary-side-by-side.txt" || true
cp "$work/merged/summary.md" "$here/merged-summary.md"
cp "$work/whole/summary.md" "$here/whole-summary.md"
# The work folder is this machine's: named WORK in what is kept.
sed -i "s|$work|WORK|g" "$here/diff.md" "$here/summary-side-by-side.txt" "$here/merged-summary.md" \
  "$here/whole-summary.md"
cat "$here/diff.md"
