#!/usr/bin/env bash
# Controls for runs.sh (same 8 steps, seeds, eval): what the temperature alone does (plain SimCSE at tau 0.5)
# and what DCL's correction adds in its layout at tau 0.5 (sampler=debiased with tau_plus 0 = NT-Xent over
# 2B anchors). Run from the repository root:
#   PYTHONPATH=src flock /tmp/sentemb-heavy.lock bash experiments/dcl_hcl_layout/controls.sh OUT_DIR
set -euo pipefail
out=${1:-/tmp/dcl_hcl_layout}
py=${PYTHON:-python}
for seed in 1 2 3; do
  for variant in "in_batch_tau0.5 sampler=in_batch loss.temperature=0.5" \
                 "debiased_tau_plus0 sampler=debiased sampler.tau_plus=0"; do
    set -- $variant
    name=$1; shift
    $py -m sentemb.run data=wiki_sample "$@" seed=$seed trainer.max_steps=8 \
      trainer.log_every_n_steps=1 eval=align_uniform callbacks=none logger=csv save_model=false \
      hydra.run.dir=$out/${name}_seed$seed > $out/${name}_seed$seed.log 2>&1
  done
done
