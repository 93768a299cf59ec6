#!/bin/bash
python -m pip install -q --no-deps .whl/*.whl >/dev/null 2>&1
export PYTHONPATH=$PWD/src:$PWD/.whl/site SENTEMB_DATA_DIR=$PWD/.gpubench/data
B=$PWD/.gpubench/old_base
i=0
for pool in cls_before_pooler mean; do for lr in 3e-5 1e-4 3e-4 1e-3; do
  i=$((i+1))
  SENTEMB_CACHE_DIR=/tmp/cache_$i python -m sentemb.run model=simcse_unsup backbone=mini_offline backbone.name_or_path=$B \
    data=wiki_sample trainer.max_steps=-1 model.lr=$lr model.pooling=$pool 'eval=[]' hardware=gpu logger=none seed=1 \
    save_model=false hydra.run.dir=$OUT/r_${pool}_$lr > $OUT/log_${pool}_$lr.txt 2>&1 &
done; done
SENTEMB_CACHE_DIR=/tmp/cache_0 python -m sentemb.run model=avg model.pooling=mean backbone=mini_offline backbone.name_or_path=$B \
  'eval=[]' hardware=gpu logger=none save_model=false hydra.run.dir=$OUT/avg_mean > $OUT/log_avg.txt 2>&1 &
wait
for f in $OUT/*/results.json; do echo $f; python -c "import json,sys; d=json.load(open('$f')); print({k:v for k,v in d.items() if 'stsb' in k or 'spearman' in k or k=='scores'})" 2>&1 | head -3; done
tail -n 3 $OUT/log_cls_before_pooler_1e-4.txt $OUT/log_avg.txt
