#!/bin/bash
python -m pip install -q --no-deps .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD/src:$PWD/.whl/site SENTEMB_DATA_DIR=$PWD/.gpubench/data
B=$PWD/.gpubench/old_base
run() { name=$1; shift; SENTEMB_CACHE_DIR=/tmp/cache_$name python -m sentemb.run backbone=mini_offline backbone.name_or_path=$B \
  'eval=[]' hardware=gpu logger=none save_model=false hydra.run.dir=$OUT/$name "$@" > $OUT/log_$name.txt 2>&1 & }
run avg_mean model=avg model.pooling=mean 'eval=[align_uniform]'
run avg_fl model=avg model.pooling=first_last_avg 'eval=[align_uniform]'
run mean_3e-5 model=simcse_unsup model.pooling=mean model.lr=3e-5 data=wiki_sample trainer.max_steps=-1 seed=1
run mean_1e-4_3ep model=simcse_unsup model.pooling=mean model.lr=1e-4 data=wiki_sample trainer.max_steps=-1 trainer.max_epochs=3 seed=1
run mean_1e-4_b128 model=simcse_unsup model.pooling=mean model.lr=1e-4 data=wiki_sample data.batch_size=128 trainer.max_steps=-1 seed=1
run mean_1e-4_s2 model=simcse_unsup model.pooling=mean model.lr=1e-4 data=wiki_sample trainer.max_steps=-1 seed=2
run fl_1e-4 model=simcse_unsup model.pooling=first_last_avg model.lr=1e-4 data=wiki_sample trainer.max_steps=-1 seed=1
run cls_1e-5 model=simcse_unsup model.lr=1e-5 data=wiki_sample trainer.max_steps=-1 seed=1
wait
for f in $OUT/*/results.json; do echo "$f $(python -c "import json; d=json.load(open('$f')); print(json.dumps(d.get('results'))[:300], json.dumps(d.get('metrics'))[:300])")"; done
for f in $OUT/log_*.txt; do echo "$f: $(grep -h 'STS-B dev' $f | sed 's/.*step/step/' | tr '\n' ' ' | cut -c1-400)"; done
