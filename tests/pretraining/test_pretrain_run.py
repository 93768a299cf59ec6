"""`sentemb.pretrain`: a tiny run end to end, the saved folder loading with AutoModel and as `backbone=`, the
recipe and backbone=mini_offline options, the missing-model error."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from hydra.errors import InstantiationException
from hydra.utils import instantiate
from pretrain_helpers import tiny_pretrain_overrides

from conftest import SENTENCES, compose_config
from sentemb.pretrain import pretrain

HOW_TO_MAKE = "python -m sentemb.pretrain experiment=pretrain_mini_offline"


def compose_pretrain(overrides: list[str], output_dir: Path):
    return compose_config(overrides, output_dir, config_name="pretrain")


@pytest.fixture
def corpus(tmp_path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(f"{s} ({i})" for i in range(6) for s in SENTENCES) + "\n")
    return path


@pytest.fixture
def made_model(corpus, tmp_path) -> Path:
    """A 4-step run with held-out evaluations at steps 2 and 4, exported to tmp/models/mini_offline."""
    export = tmp_path / "models" / "mini_offline"
    cfg = compose_pretrain([*tiny_pretrain_overrides(corpus, tmp_path), "trainer.max_steps=4",
                            "trainer.val_check_interval=2", "masking.whole_word=true", f"export_dir={export}",
                            "model.dropout=0.0"], tmp_path / "run")
    results = pretrain(cfg)
    assert results["global_step"] == 4 and results["exported_to"] == str(export)
    return export


def test_run_saves_a_hugging_face_folder_and_the_curve(made_model, tmp_path):
    from transformers import AutoModel, AutoModelForMaskedLM, AutoTokenizer

    run = tmp_path / "run"
    for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json", "vocab.txt",
                 "pretrain_info.json"):
        assert (made_model / name).is_file() and (run / "model" / name).is_file(), name
    curve = [json.loads(line) for line in (run / "heldout_curve.jsonl").read_text().splitlines()]
    assert [r["step"] for r in curve] == [2, 4] and all(0 <= r["mlm_accuracy"] <= 1 for r in curve)
    assert (run / "heldout_accuracy.png").stat().st_size > 1000
    results = json.loads((run / "pretrain_results.json").read_text())
    assert results["final_heldout"]["step"] == 4 and results["tokens_seen"] > 0
    model = AutoModel.from_pretrained(made_model)
    assert model.config.num_hidden_layers == 1 and model.config.hidden_size == 32
    assert model.config.hidden_dropout_prob == 0.1  # pretrained without dropout, saved with the config's
    assert AutoModelForMaskedLM.from_pretrained(made_model).config.vocab_size == len(
        AutoTokenizer.from_pretrained(made_model))


def test_saved_folder_is_a_backbone_for_contrastive_training(made_model, tiny_overrides, tmp_path, monkeypatch):
    from sentemb.train import train

    base = [o for o in tiny_overrides if not o.startswith("backbone")]
    cfg = compose_config([*base, "backbone=mini_offline", f"backbone.name_or_path={made_model}",
                          "trainer.fast_dev_run=true"], tmp_path / "contrastive")
    train(cfg)
    monkeypatch.setenv("SENTEMB_MODELS_DIR", str(made_model.parent))  # the default path of backbone=mini_offline
    cfg = compose_config([*base, "backbone=mini_offline", "model=avg", "trainer.fast_dev_run=true"], tmp_path / "c2")
    assert cfg.backbone.name_or_path == str(made_model)
    assert instantiate(cfg.backbone).model.config.hidden_size == 32


def test_continued_pretraining_from_a_backbone(made_model, corpus, tmp_path, monkeypatch):
    monkeypatch.setenv("SENTEMB_MODELS_DIR", str(made_model.parent))
    cfg = compose_pretrain([*tiny_pretrain_overrides(corpus, tmp_path), "backbone=mini_offline",
                            "trainer.fast_dev_run=true"], tmp_path / "continued")
    results = pretrain(cfg)
    assert results["continued_from"] == str(made_model) and not results["trained_tokenizer"]
    assert (tmp_path / "continued" / "model" / "model.safetensors").is_file()


def test_export_dir_holding_a_model_is_refused_before_training(made_model, corpus, tmp_path):
    cfg = compose_pretrain([*tiny_pretrain_overrides(corpus, tmp_path), f"export_dir={made_model}",
                            "trainer.max_steps=1"], tmp_path / "again")
    with pytest.raises(FileExistsError, match="export_overwrite=true"):
        pretrain(cfg)


@pytest.mark.parametrize("group", [0, 2])
def test_fast_dev_run_with_dynamic_padding(corpus, tmp_path, group):
    cfg = compose_pretrain([*tiny_pretrain_overrides(corpus, tmp_path), "batching.packing=false",
                            f"batching.group_by_length={group}", "trainer.fast_dev_run=true"], tmp_path / "run")
    results = pretrain(cfg)
    assert results["global_step"] == 1 and results["data"]["packing"] is False
    assert results["data"]["group_by_length"] == group


def test_missing_made_model_says_how_to_make_it(tmp_path, monkeypatch):
    monkeypatch.setenv("SENTEMB_MODELS_DIR", str(tmp_path / "empty"))
    cfg = compose_config(["backbone=mini_offline"], tmp_path)
    assert cfg.backbone.name_or_path == str(tmp_path / "empty" / "mini_offline")
    with pytest.raises((FileNotFoundError, InstantiationException), match=HOW_TO_MAKE.replace(".", r"\.")):
        instantiate(cfg.backbone)


def test_recipe_composes_and_exports_where_backbone_mini_offline_looks(tmp_path, monkeypatch):
    monkeypatch.delenv("SENTEMB_MODELS_DIR", raising=False)
    cfg = compose_pretrain(["experiment=pretrain_mini_offline", f"cache_dir={tmp_path}"], tmp_path)
    assert cfg.time_budget_minutes == 60 and cfg.trainer.max_steps == -1 and cfg.trainer.precision == "32-true"
    assert not cfg.batching.packing and cfg.batching.group_by_length > 0  # one sentence a row, grouped by length
    assert cfg.masking.whole_word and cfg.model.dropout == 0.0
    arch = cfg.model.architecture
    assert (arch.num_hidden_layers, arch.hidden_size, arch.num_attention_heads) == (4, 256, 4)
    backbone = compose_config(["backbone=mini_offline", f"cache_dir={tmp_path}"], tmp_path).backbone
    assert cfg.export_dir == backbone.name_or_path == str(tmp_path / "models" / "mini_offline")
    assert backbone.how_to_make == HOW_TO_MAKE
    # composed by sentemb.run's config the recipe keeps its entry point, which sentemb.run refuses
    assert compose_config(["experiment=pretrain_mini_offline"], tmp_path).entry_point == "sentemb.pretrain"


def test_time_bounded_run_stops_at_max_time(corpus, tmp_path):
    """max_steps=-1 (the recipe's): Lightning's max_time ends training; the schedule decays over that time."""
    cfg = compose_pretrain([*tiny_pretrain_overrides(corpus, tmp_path), "trainer.max_steps=-1",
                            "trainer.max_time=00:00:00:02", "trainer.val_check_interval=1000"], tmp_path / "run")
    results = pretrain(cfg)
    assert results["global_step"] > 0 and results["fit_seconds"] < 60
    assert results["final_heldout"]["step"] == results["global_step"]  # the final evaluation is on the curve


def test_resume_continues_from_the_last_checkpoint_with_the_runs_tokenizer(corpus, tmp_path):
    base = [*tiny_pretrain_overrides(corpus, tmp_path), "checkpoint_every_n_steps=1", "trainer.val_check_interval=2"]
    pretrain(compose_pretrain([*base, "trainer.max_steps=2"], tmp_path / "first"))
    assert (tmp_path / "first" / "checkpoints" / "last.ckpt").is_file()
    results = pretrain(compose_pretrain([*base, "trainer.max_steps=4", f"resume={tmp_path / 'first'}",
                                         "tokenizer.vocab_size=100"], tmp_path / "second"))
    assert results["global_step"] == 4 and not results["trained_tokenizer"]  # the first run's 120-token vocabulary
    assert (tmp_path / "second" / "tokenizer" / "tokenizer.json").read_text() == (
        tmp_path / "first" / "tokenizer" / "tokenizer.json").read_text()
