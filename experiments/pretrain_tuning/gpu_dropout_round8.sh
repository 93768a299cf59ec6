#!/bin/bash
python -m pip install -q --no-deps .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD/src:$PWD/.whl/site SENTEMB_DATA_DIR=$PWD/.gpubench/data
for d in 0.0 0.1; do
  python experiments/pretrain_tuning/tune_steps.py .gpubench/pretrain $OUT/tune_d$d.jsonl --tokens 6e6 --eval-every 1000 \
    --grid "[{\"lr\":2e-3,\"batch\":256,\"block\":\"rows\",\"warmup\":500,\"dropout\":$d}]" --save /tmp/base_d$d > $OUT/pre_d$d.txt 2>&1 &
done
wait
run() { name=$1; shift; SENTEMB_CACHE_DIR=/tmp/cache_$name python -m sentemb.run backbone=mini_offline \
  'eval=[]' hardware=gpu logger=none save_model=false hydra.run.dir=/tmp/r/$name "$@" > $OUT/log_$name.txt 2>&1 & }
for d in 0.0 0.1; do
  run avg_$d backbone.name_or_path=/tmp/base_d$d model=avg model.pooling=mean 'eval=[align_uniform]'
  run s3_$d backbone.name_or_path=/tmp/base_d$d model=simcse_unsup model.pooling=mean model.lr=3e-5 data=wiki_sample trainer.max_steps=-1 seed=1
  run s1_$d backbone.name_or_path=/tmp/base_d$d model=simcse_unsup model.pooling=mean model.lr=1e-4 data=wiki_sample trainer.max_steps=-1 seed=1
  run c3_$d backbone.name_or_path=/tmp/base_d$d model=simcse_unsup model.lr=3e-5 data=wiki_sample trainer.max_steps=-1 seed=1
done
wait
tail -qn 1 $OUT/tune_*.jsonl
for f in /tmp/r/*/results.json; do echo "$f $(python -c "import json; d=json.load(open('$f')); print(json.dumps(d.get('metrics'))[:200])")"; done
