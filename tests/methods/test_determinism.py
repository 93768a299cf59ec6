"""Same seed, config and machine -> the same final scores and weights."""

from __future__ import annotations

import json

from safetensors.torch import load_file

from conftest import compose_config
from sentemb.train import train


def test_same_seed_gives_same_scores_and_weights(tiny_overrides, tmp_path):
    outs = []
    for name in ("a", "b"):
        cfg = compose_config([*tiny_overrides, "trainer.max_steps=3", "callbacks=none", "eval=align_uniform",
                              "seed=7"], tmp_path / name)
        train(cfg)
        outs.append(tmp_path / name)
    scores = [json.loads((o / "results.json").read_text())["metrics"] for o in outs]
    assert scores[0] == scores[1]
    w = [load_file(str(o / "model" / "model.safetensors")) for o in outs]
    assert all((w[0][k] == w[1][k]).all() for k in w[0])


def test_another_seed_gives_other_weights(tiny_overrides, tmp_path):
    weights = []
    for seed in (1, 2):
        cfg = compose_config([*tiny_overrides, "trainer.max_steps=2", "callbacks=none", "eval=align_uniform",
                              f"seed={seed}"], tmp_path / str(seed))
        train(cfg)
        weights.append(load_file(str(tmp_path / str(seed) / "model" / "model.safetensors")))
    assert any(not (weights[0][k] == weights[1][k]).all() for k in weights[0])
