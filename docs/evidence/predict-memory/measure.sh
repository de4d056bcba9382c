#!/usr/bin/env bash
# predict's peak memory (maximum resident set, /usr/bin/time -v) on each image images.py writes,
# with models saved by a one-epoch compare. Run from the workspace root after
# `cargo build --release -p xtask`, with PYTHON naming an interpreter that has Pillow (the JPEGs):
#   PYTHON=venv/bin/python docs/evidence/predict-memory/measure.sh [XTASK] [LOG]
# MODELS_XTASK names another build to save the models with (an older build whose bundled data is
# gone).
set -euo pipefail
xtask=${1:-target/release/xtask}
log=${2:-docs/evidence/predict-memory/peak-after.txt}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
"${PYTHON:-python3}" docs/evidence/predict-memory/images.py "$work" --jpeg
"${MODELS_XTASK:-$xtask}" compare --epochs 1 --out "$work/report" --save-models "$work/models" >/dev/null 2>&1
{
  echo "# xtask: $xtask; ${LABEL:-commit $(git describe --always --dirty)}; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(nproc) cores"
  for image in gray-8192.png rgba-5016.png gray16-7094.png gray-alpha-7094.png rgba16-3547.png \
    rgba-8192.png bomb-60000.png rgb-3861.jpg rgb-progressive-2991.jpg gray-6687.jpg \
    rgb-progressive-5792.jpg; do
    set +e
    /usr/bin/time -v "$xtask" predict --models "$work/models" "$work/$image" >"$work/out" 2>&1
    status=$?
    set -e
    peak=$(grep 'Maximum resident' "$work/out" | awk '{print $NF}')
    # The first model's classes for an image read, the error for one refused.
    first=$(grep -v -e '^\s*Command' -e '^\s[A-Z]' -e '^\s*$' "$work/out" | head -3 | tr -s ' \n' ' ' | sed "s|$work/||g")
    echo "$image: exit $status, peak $((peak / 1024)) MiB ($peak kB): $first"
  done
} | tee "$log"
