#!/usr/bin/env bash
# The runs behind experiments/vascl_release/README.md: VaSCL from minilm_l6 on wiki_sample, 40 steps of 64,
# STS-B dev (and alignment/uniformity) of the final encoder; one run at a time under the shared CPU lock.
#   bash experiments/vascl_release/runs.sh <name> <src dir> <overrides...>
# <src dir>: the package to run (this checkout's src, or a copy of the code before the change).
set -u
PY=${PY:-/work/main/.venv/bin/python}
OUT=${OUT:-runs/vascl_release}
name=$1; src=$2; shift 2
COMMON="trainer.max_steps=40 data=wiki_sample backbone=minilm_l6 callbacks=none save_model=false eval=align_uniform trainer.log_every_n_steps=1"
mkdir -p "$OUT"
start=$(date +%s)
# shellcheck disable=SC2086
PYTHONPATH=$src flock /tmp/sentemb-heavy.lock "$PY" -m sentemb.run $COMMON "$@" hydra.run.dir="$OUT/$name" \
  > "$OUT/$name.log" 2>&1
echo "$name rc=$? wall_s=$(( $(date +%s) - start )) src=$src args: $*" | tee -a "$OUT/times.txt"
