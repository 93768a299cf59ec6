#!/bin/bash
# Old vs new BERT-flow on the cached all-MiniLM-L6-v2 embeddings (compare.py --encode-only first).
# Run from the repository root:  flock /tmp/sentemb-heavy.lock bash experiments/bert_flow/run_compare.sh
# OLD_SRC: the package before this change (git archive bc340ae src | tar -x -C /tmp/sentemb_old).
set -euo pipefail
PY=${PY:-/work/main/.venv/bin/python}
OLD_SRC=${OLD_SRC:-/tmp/sentemb_old/src}
export SENTEMB_DATA_DIR=${SENTEMB_DATA_DIR:-/work/shared/data} OMP_NUM_THREADS=${OMP_NUM_THREADS:-2}
for pooling in mean first_last_avg; do
  PYTHONPATH=$OLD_SRC $PY experiments/bert_flow/compare.py --label old --pooling $pooling
  PYTHONPATH=$PWD/src $PY experiments/bert_flow/compare.py --label new --pooling $pooling
done
# the release exactly (no training noise): trains on first_last_avg; on mean pooling the gradients overflow
for pooling in first_last_avg mean; do
  PYTHONPATH=$PWD/src $PY experiments/bert_flow/compare.py --label "new noise=0" --pooling $pooling --flow '{"noise": 0}' \
    || echo "new noise=0 flow ($pooling): failed (exit $?)"
done
PYTHONPATH=$PWD/src $PY experiments/bert_flow/compare.py --label "new levels=1 affine lu" --pooling mean \
  --flow '{"levels": 1, "coupling": "affine", "permutation": "lu"}'
