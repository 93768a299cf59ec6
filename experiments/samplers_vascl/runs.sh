#!/usr/bin/env bash
# The runs behind experiments/samplers_vascl/README.md: same data (wiki_sample), budget (25 steps of batch 32,
# max length 32), seed (42) and backbone (minilm_l6); one at a time. Run from the repository root:
#   PYTHONPATH=$PWD/src SENTEMB_DATA_DIR=... bash experiments/samplers_vascl/runs.sh
# Evaluation: the STS suite (STS12-16, STS-B, SICK-R; alignment/uniformity on STS-B dev) and short-text
# clustering (StackOverflow, Biomedical, SearchSnippets; ACC/NMI/ARI over 5 K-means seeds).
set -u
PY=${PY:-.venv/bin/python}
OUT=${OUT:-runs/samplers_vascl}
COMMON="trainer.max_steps=25 data.batch_size=32 callbacks=none save_model=false seed=42 data=wiki_sample
        backbone=minilm_l6 logger=none eval=[sts,clustering]"
run() {
  name=$1; shift
  start=$(date +%s)
  # shellcheck disable=SC2068
  "$PY" -m sentemb.run $@ hydra.run.dir="$OUT/$name" > "$OUT/$name.log" 2>&1
  echo "$name rc=$? wall_s=$(( $(date +%s) - start )) args: $*" | tee -a "$OUT/times.txt"
}
mkdir -p "$OUT"
run simcse_in_batch model=simcse_unsup $COMMON
# DCL/HCL as these runs had them: view 0 the only anchors, SimCSE's tau 0.05 (the defaults until issue 21)
OLD_LAYOUT="sampler.anchors=first_view loss.temperature=0.05"
run simcse_hard model=simcse_unsup sampler=hard $OLD_LAYOUT $COMMON
run simcse_debiased model=simcse_unsup sampler=debiased $OLD_LAYOUT $COMMON
# The vascl row was the old form of model=vascl, which no longer exists (issue 21 rebuilt it as released):
# its runs are experiments/vascl_release/runs.sh.
# reference points without training: the starting points of the SimCSE runs (CLS) and of VaSCL (mean)
run avg_cls model=avg model.pooling=cls_before_pooler backbone=minilm_l6 logger=none save_model=false "eval=[sts,clustering]"
run avg_mean model=avg model.pooling=mean backbone=minilm_l6 logger=none save_model=false "eval=[sts,clustering]"
