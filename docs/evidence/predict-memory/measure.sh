#!/usr/bin/env bash
# predict's peak memory (maximum resident set, /usr/bin/time -v) on each image images.py writes,
# with models saved by a one-epoch compare. Run from the workspace root after
# `cargo build --release -p xtask`:  docs/evidence/predict-memory/measure.sh [XTASK] [LOG]
set -euo pipefail
xtask=${1:-target/release/xtask}
log=${2:-docs/evidence/predict-memory/peak.txt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
python3 docs/evidence/predict-memory/images.py "$work"
"$xtask" compare --epochs 1 --out "$work/report" --save-models "$work/models" >/dev/null 2>&1
{
  echo "# xtask: $xtask; ${LABEL:-commit $(git describe --always --dirty)}; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
  for image in gray-8192 rgba-4896 gray16-6928 gray-alpha-6928 rgba16-3464 rgba-8192 bomb-60000; do
    set +e
    /usr/bin/time -v "$xtask" predict --models "$work/models" "$work/$image.png" >"$work/out" 2>&1
    status=$?
    set -e
    peak=$(grep 'Maximum resident' "$work/out" | awk '{print $NF}')
    # The first model's classes for an image read, the error for one refused.
    first=$(grep -v -e '^\s*Command' -e '^\s[A-Z]' -e '^\s*$' "$work/out" | head -3 | tr -s ' \n' ' ' | sed "s|$work/||g")
    echo "$image: exit $status, peak $((peak / 1024)) MiB ($peak kB): $first"
  done
} | tee "$log"
