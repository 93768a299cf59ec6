"""Issue 12 CPU experiment: unsupervised SimCSE on the unlabelled Banking77 training utterances, with and
without false-negative handling (sampler=false_negative), scored on a seeded subset of Banking77 test.

    python experiments/false_negatives/train_and_score.py NAME OUT_ROOT [hydra overrides ...]

Trains as `python -m sentemb.run` would (same config tree, build_module and fit), but replaces the
run's full evaluation (STS-B dev + the whole eval group, ~20k sentences: too slow for this shared 2-core
CPU) with the same scoring functions on a small fixed subset, so all runs see the same texts:
    intent:     Banking77 test, 20 texts per intent (1540); nearest-centroid accuracy and a logistic probe
                (sentemb.evaluation.intent.probe_accuracy), both from 10 training texts per intent (770)
    clustering: K-means with K = 77 on the 1540 test texts, ACC / NMI / ARI x 100
                (sentemb.evaluation.clustering.clustering_scores), mean over 3 seeds
With model=avg (no training) it scores the backbone as it is ("before"). Writes OUT_ROOT/NAME/results.json.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import lightning as L
import numpy as np
import torch
from hydra import compose, initialize_config_dir
from omegaconf import open_dict
from sklearn.cluster import KMeans

import sentemb.conf_resolvers  # noqa: F401
from sentemb.evaluation.clustering import clustering_scores
from sentemb.evaluation.intent import probe_accuracy, sample_few_shot
from sentemb.evaluation.nearest_centroid import load_intent_task, nearest_centroid_accuracy
from sentemb.paths import PROJECT_ROOT
from sentemb.training.build import build_loggers, build_module, fit

TEST_PER_LABEL, TRAIN_PER_LABEL, SEEDS = 20, 10, (0, 1, 2)


def subsets(data_dir: str):
    train, test = load_intent_task(data_dir, "banking77")
    rng = np.random.default_rng(0)
    tr = sample_few_shot(train.labels, TRAIN_PER_LABEL, rng)
    te = sample_few_shot(test.labels, TEST_PER_LABEL, rng)
    return ([train.texts[i] for i in tr], [train.labels[i] for i in tr],
            [test.texts[i] for i in te], [test.labels[i] for i in te])


def score(encoder, data_dir: str) -> dict[str, float]:
    train_x, train_y, test_x, test_y = subsets(data_dir)
    with torch.inference_mode():
        emb = encoder.encode(train_x + test_x, batch_size=64, normalize=True)
    tr, te = emb[: len(train_x)], emb[len(train_x):]
    out = {"intent_centroid_acc": nearest_centroid_accuracy(tr, train_y, te, test_y),
           "intent_probe_acc": probe_accuracy(tr, train_y, te, test_y, C=1.0, max_iter=200)}
    runs = []
    for seed in SEEDS:
        pred = KMeans(n_clusters=len(set(test_y)), n_init=1, random_state=seed).fit_predict(te)
        runs.append(clustering_scores(test_y, pred))
    for key in ("acc", "nmi", "ari"):
        values = [r[key] for r in runs]
        out[f"cluster_{key}"], out[f"cluster_{key}_std"] = float(np.mean(values)), float(np.std(values))
    return out


def main(name: str, out_root: str, overrides: list[str]) -> None:
    output_dir = Path(out_root) / name
    with initialize_config_dir(config_dir=str(PROJECT_ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=overrides)
    with open_dict(cfg):
        cfg.output_dir = str(output_dir)
    L.seed_everything(cfg.seed, workers=True)
    torch.set_float32_matmul_precision(cfg.float32_matmul_precision)
    module = build_module(cfg)
    result: dict = {"name": name, "overrides": overrides, "seed": cfg.seed}
    encoder = module.encoder
    if cfg.model.get("trains", True):
        start = time.perf_counter()
        encoder, trainer = fit(cfg, module, build_loggers(cfg))
        result["train_seconds"] = round(time.perf_counter() - start, 1)
        result["global_step"] = trainer.global_step
    start = time.perf_counter()
    result["metrics"] = score(encoder, cfg.data_dir)
    result["eval_seconds"] = round(time.perf_counter() - start, 1)
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "results.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    main(sys.argv[1], sys.argv[2], sys.argv[3:])
