#!/usr/bin/env bash
# Issue 13's comparison (experiments/pretrain_mini_offline/README.md): mean and first-last pooling of each base vs
# unsupervised SimCSE trained from it, one epoch of wiki_sample (11,914 sentences = 187 steps of 64, max_len 32),
# 3 seeds, the STS suite with alignment/uniformity. Bases: NEW (the recipe's output) and OLD (../shared).
#   PYTHONPATH=$PWD/src SENTEMB_DATA_DIR=... NEW=/path/mini_offline bash experiments/pretrain_mini_offline/compare_runs.sh
#   python tools/runs_table.py runs/pretrain_compare --seeds
set -u
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/pretrain_compare}
NEW=${NEW:-${SENTEMB_MODELS_DIR:-${SENTEMB_CACHE_DIR:-$HOME/.cache/sentemb}/models}/mini_offline}
OLD=${OLD:-../shared/models/mini_offline}
SEEDS=${SEEDS:-1 2 3}
COMMON="backbone=mini_offline logger=none save_model=false eval=sts"
TRAIN="data=wiki_sample trainer.max_steps=-1 trainer.max_epochs=1"
run() {
  name=$1; shift
  [ -f "$OUT/$name/results.json" ] && return 0  # resumable
  start=$(date +%s)
  # shellcheck disable=SC2068
  "$PY" -m sentemb.run $@ hydra.run.dir="$OUT/$name" > "$OUT/$name.log" 2>&1
  echo "$name rc=$? wall_s=$(( $(date +%s) - start )) args: $*" | tee -a "$OUT/times.txt"
}
mkdir -p "$OUT"
path_of() { if [ "$1" = new ]; then echo "$NEW"; else echo "$OLD"; fi; }
for base in new old; do
  run ${base}_avg_mean model=avg model.pooling=mean backbone.name_or_path=$(path_of $base) $COMMON
  run ${base}_avg_first_last model=avg model.pooling=first_last_avg backbone.name_or_path=$(path_of $base) $COMMON
done
# the project's SimCSE as the paper runs it: [CLS] + MLP head in training, lr 3e-5, tau 0.05
for seed in $SEEDS; do for base in new old; do
  run ${base}_simcse_cls_s$seed model=simcse_unsup backbone.name_or_path=$(path_of $base) $TRAIN seed=$seed $COMMON
done; done
# the same with mean pooling (the better pooling on these bases in the GPU probes, experiments/pretrain_tuning/README.md)
for seed in $SEEDS; do for base in new old; do
  run ${base}_simcse_mean_s$seed model=simcse_unsup model.pooling=mean backbone.name_or_path=$(path_of $base) \
      $TRAIN seed=$seed $COMMON
done; done
