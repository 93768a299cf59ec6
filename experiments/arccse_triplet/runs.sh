#!/usr/bin/env bash
# 8 steps from all-MiniLM-L6-v2 on wiki_sample (seed 42, batch 64): ArcCSE vs its margin-only ablation
# (model=simcse_unsup loss=arccon), and SimCSE and SimCSE + MLM at their defaults; the inert-term patience is
# lowered from 50 to 4 steps so that 8 steps can show a silent monitor. Then compare.py.
#   flock /tmp/sentemb-heavy.lock bash experiments/arccse_triplet/runs.sh /tmp/arccse_triplet
# EXTRA="..." appends overrides (e.g. EXTRA="backbone=tiny_random" to check the script in seconds).
set -euo pipefail
OUT=${1:-runs/arccse_triplet}
PY=${PYTHON:-python}
mkdir -p "$OUT"
COMMON="backbone=minilm_l6 data=wiki_sample trainer.max_steps=8 seed=42 callbacks=none eval=align_uniform
        logger=csv trainer.log_every_n_steps=1 +model.inert_patience=4"
for job in "arccse|model=arccse" "margin_only|model=simcse_unsup loss=arccon" "simcse|model=simcse_unsup" \
           "simcse_mlm|model=simcse_unsup_mlm"; do
  name=${job%%|*}
  # shellcheck disable=SC2086
  $PY -W always::UserWarning -m sentemb.run ${job#*|} $COMMON ${EXTRA:-} run_name="$name" hydra.run.dir="$OUT/$name" \
    > "$OUT/$name.log" 2>&1
done
$PY experiments/arccse_triplet/compare.py "$OUT"
