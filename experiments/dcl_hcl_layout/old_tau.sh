#!/usr/bin/env bash
# sampler=debiased / hard at SimCSE's tau 0.05 (the old default), 3 steps: the clamp share the run logs and
# the start-up warning. Run from the repository root:
#   PYTHONPATH=src flock /tmp/sentemb-heavy.lock bash experiments/dcl_hcl_layout/old_tau.sh OUT_DIR
set -euo pipefail
out=${1:-/tmp/dcl_hcl_layout}
py=${PYTHON:-python}
for sampler in debiased hard; do
  $py -m sentemb.run data=wiki_sample sampler=$sampler loss.temperature=0.05 seed=1 trainer.max_steps=3 \
    trainer.log_every_n_steps=1 eval=align_uniform callbacks=none logger=csv save_model=false \
    hydra.run.dir=$out/old_tau/${sampler}_tau0.05_seed1 > $out/old_tau/${sampler}_tau0.05_seed1.log 2>&1
done
