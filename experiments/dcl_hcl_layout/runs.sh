#!/usr/bin/env bash
# 9 short runs: plain SimCSE vs sampler=debiased vs sampler=hard at their defaults, seeds 1-3, 8 steps of 64
# from minilm_l6 on wiki_sample; alignment/uniformity on STS-B dev (eval=align_uniform); the clamp share is
# logged every step (trainer.log_every_n_steps=1). Run from the repository root:
#   PYTHONPATH=src flock /tmp/sentemb-heavy.lock bash experiments/dcl_hcl_layout/runs.sh OUT_DIR
set -euo pipefail
out=${1:-/tmp/dcl_hcl_layout}
py=${PYTHON:-python}
for seed in 1 2 3; do
  for sampler in in_batch debiased hard; do
    $py -m sentemb.run data=wiki_sample sampler=$sampler seed=$seed trainer.max_steps=8 \
      trainer.log_every_n_steps=1 eval=align_uniform callbacks=none logger=csv save_model=false \
      hydra.run.dir=$out/${sampler}_seed$seed > $out/${sampler}_seed$seed.log 2>&1
  done
done
