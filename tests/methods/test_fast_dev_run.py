"""fast_dev_run of the default job and of every model option on the tiny random backbone."""

from __future__ import annotations

import json

import pytest
from conftest import CONF_DIR, compose_config

from sentemb.train import train

MODELS = sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml"))
MODEL_OVERRIDES = {"vascl": ["sampler.k=4"]}  # the tiny batch of 8 is below VaSCL's default k=16


def test_default_job_fast_dev_run(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "trainer.fast_dev_run=true"], tmp_path / "run")
    train(cfg)
    assert (tmp_path / "run" / "config.yaml").exists()
    info = json.loads((tmp_path / "run" / "run_info.json").read_text())
    assert info["seed"] == 42 and "torch" in info["versions"] and info["git"]["commit"]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_option_fast_dev_run(model, tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, f"model={model}", "trainer.fast_dev_run=true",
                          *MODEL_OVERRIDES.get(model, [])], tmp_path / "run")
    train(cfg)


def test_training_runs_with_dropout_on(tiny_overrides, tmp_path, monkeypatch):
    """from_pretrained leaves eval mode; training must switch dropout on (SimCSE needs it)."""
    from sentemb.methods.contrastive import ContrastiveModule

    seen = []
    original = ContrastiveModule.training_step

    def spy(self, batch, batch_idx):
        seen.append(self.encoder.model.training)
        return original(self, batch, batch_idx)

    monkeypatch.setattr(ContrastiveModule, "training_step", spy)
    cfg = compose_config([*tiny_overrides, "backbone=minilm_l6", "trainer.fast_dev_run=true",
                          "callbacks=none"], tmp_path / "run")
    train(cfg)
    assert seen == [True]
