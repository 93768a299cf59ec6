#!/usr/bin/env bash
# The runs behind experiments/augmentations/README.md (SimCSE Table 1 at small scale): unsupervised SimCSE from
# minilm_l6 on wiki_sample, the same budget (60 steps of batch 64, max length 32), seed (42) and evaluation
# for every augmentation; one run at a time. From the repository root:
#   PYTHONPATH=$PWD/src SENTEMB_DATA_DIR=... PY=/path/to/python bash experiments/augmentations/runs.sh [names...]
set -u
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/augmentations}
COMMON="model=simcse_unsup trainer.max_steps=60 callbacks=none save_model=false seed=42 data=wiki_sample
backbone=minilm_l6 logger=none"
# EVAL: the full STS suite (STS12-16, STS-B, SICK-R; alignment and uniformity on STS-B dev).
EVAL=${EVAL:-eval=sts}
run() {
  name=$1; shift
  start=$(date +%s)
  # shellcheck disable=SC2086
  OMP_NUM_THREADS=2 "$PY" -m sentemb.run $COMMON $EVAL "$@" hydra.run.dir="$OUT/$name" > "$OUT/$name.log" 2>&1
  echo "$name rc=$? wall_s=$(( $(date +%s) - start )) args: $*" | tee -a "$OUT/times.txt"
}
mkdir -p "$OUT"
for name in ${@:-dropout crop word_deletion synonym repetition}; do
  case $name in
    untrained) run untrained model=avg model.pooling=cls_before_pooler ;;
    mlm) run mlm model=simcse_unsup_mlm ;;
    *) run "$name" augment="$name" ;;
  esac
done
