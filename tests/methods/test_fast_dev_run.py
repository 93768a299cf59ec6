"""fast_dev_run of the default job and of every model option on the tiny random backbone."""

from __future__ import annotations

import json
import math

import pytest

from conftest import CONF_DIR, compose_config
from sentemb.train import train

MODELS = sorted(p.stem for p in (CONF_DIR / "model").glob("*.yaml"))
MODEL_OVERRIDES = {"vascl": ["sampler.k=4"]}  # the tiny batch of 8 is below VaSCL's default k=16


def write_supervised_files(folder) -> dict[str, list[str]]:
    """Small data files for the supervised models -> {model: data overrides replacing data=text_file}."""
    from conftest import SENTENCES

    folder.mkdir(parents=True, exist_ok=True)
    triplets, labelled, pairs = folder / "triplets.csv", folder / "labelled.csv", folder / "pairs.csv"
    n = len(SENTENCES)
    triplets.write_text("sent0,sent1,hard_neg\n" + "".join(
        f'"{SENTENCES[i]}","{SENTENCES[(i + 1) % n]}","{SENTENCES[(i + 2) % n]}"\n' for i in range(n)))
    labelled.write_text("text,label\n" + "".join(f'"{s}",topic{i % 3}\n' for i, s in enumerate(SENTENCES)))
    pairs.write_text("sentence1,sentence2,label\n" + "".join(
        f'"{SENTENCES[i]}","{SENTENCES[(i + 1) % n]}",{i % 3}\n' for i in range(n)))
    return {
        "simcse_sup": ["data=triplet_csv", f"data.path={triplets}"],
        "supcon": ["data=labelled_csv", f"data.path={labelled}"],
        "sbert": ["data=pair_csv", f"data.path={pairs}"],
        "cosent": ["data=pair_csv", f"data.path={pairs}", "data.max_score=5"],
    }


def model_overrides(model: str, tiny_overrides: list[str], folder) -> list[str]:
    """tiny_overrides with the data swapped for the model's own kind of data where it needs one."""
    extra = write_supervised_files(folder).get(model)
    if extra is None:
        return tiny_overrides
    return [o for o in tiny_overrides if not o.startswith(("data=", "data.path="))] + extra


def test_default_job_fast_dev_run(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "trainer.fast_dev_run=true"], tmp_path / "run")
    metrics, objects = train(cfg)
    assert math.isfinite(metrics["train/loss"]) and objects["trainer"].global_step == 1
    assert objects["dev_callback"] is not None and "results" not in objects  # a fast_dev_run is not evaluated
    assert (tmp_path / "run" / "config.yaml").exists()
    info = json.loads((tmp_path / "run" / "run_info.json").read_text())
    assert info["seed"] == 42 and "torch" in info["versions"] and info["git"]["commit"]


@pytest.mark.parametrize("model", MODELS)
def test_every_model_option_fast_dev_run(model, tiny_overrides, tmp_path):
    overrides = model_overrides(model, tiny_overrides, tmp_path / "data")
    cfg = compose_config([*overrides, f"model={model}", "trainer.fast_dev_run=true", "+eval_after_fast_dev_run=true",
                          "eval=align_uniform", "save_model=false", *MODEL_OVERRIDES.get(model, [])], tmp_path / "run")
    metrics, objects = train(cfg)
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert objects["results"]["metrics"] == results["metrics"]
    assert {k: metrics[k] for k in results["metrics"]} == results["metrics"]  # the final scores, as written
    assert -100 <= metrics["val/stsb_spearman"] <= 100 and 0 <= metrics["test/align"] <= 4
    if cfg.model.get("trains", True):  # a training step ran, and its loss is what Lightning logged
        assert math.isfinite(metrics["train/loss"]) and objects["trainer"].global_step == 1
    else:
        assert "trainer" not in objects and not any(k.startswith("train/") for k in metrics)


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
