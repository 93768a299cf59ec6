#!/bin/bash
# usage: bash .gpubench/tune.sh TOKENS 'grid1' 'grid2' ...  (each grid runs as its own process, concurrently)
set -x
python -m pip install -q --no-deps .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD/src:$PWD/.whl/site
nvidia-smi --query-gpu=name --format=csv,noheader
tokens=$1; shift
i=0
for g in "$@"; do
  python experiments/pretrain_tuning/tune_steps.py .gpubench/pretrain $OUT/tune_$i.jsonl --tokens $tokens --grid "$g" > $OUT/log_$i.txt 2>&1 &
  i=$((i+1))
done
wait
tail -n 2 $OUT/log_*.txt
