"""sampler=debiased and sampler=hard through the entry point on the tiny random BERT: their defaults
(references' layout, loss.temperature 0.5 from conf/sampler/loss), the clamp share in the run's log, and
the supervised SimCSE head kept at test time."""

from __future__ import annotations

import csv

import pytest
from hydra.utils import instantiate

from conftest import compose_config
from sentemb.train import train


@pytest.mark.parametrize("sampler", ["debiased", "hard"])
def test_defaults_take_the_references_layout_and_temperature(sampler, tmp_path):
    cfg = compose_config([f"sampler={sampler}"], tmp_path)
    assert cfg.loss.temperature == 0.5 and cfg.sampler.anchors == "all_views" and cfg.sampler.tau_plus == 0.1
    assert instantiate(cfg.sampler).anchors == "all_views"
    if sampler == "hard":
        assert instantiate(cfg.sampler).temperature == 0.5  # follows loss.temperature
    cfg = compose_config([f"sampler={sampler}", "loss.temperature=0.05"], tmp_path)
    assert cfg.loss.temperature == 0.05  # the command line wins
    assert compose_config([], tmp_path).loss.temperature == 0.05  # SimCSE's tau stays SimCSE's default
    assert "temperature" not in compose_config([f"sampler={sampler}", "loss=cosent"], tmp_path).loss


@pytest.mark.parametrize("sampler", ["debiased", "hard"])
def test_run_logs_the_clamp_share_and_the_activity(sampler, tiny_overrides, tmp_path):
    out = tmp_path / "run"
    cfg = compose_config([*tiny_overrides, f"sampler={sampler}", "trainer.max_steps=3", "trainer.log_every_n_steps=1",
                          "logger=csv", "callbacks=none", "eval=align_uniform", "save_model=false"], out)
    train(cfg)
    rows = list(csv.DictReader((out / "csv" / "metrics.csv").open()))
    clamped = [float(r["train/sampler/clamped"]) for r in rows if r.get("train/sampler/clamped")]
    active = [float(r["train/sampler/debiased_active"]) for r in rows if r.get("train/sampler/debiased_active")]
    assert len(clamped) == 3 and all(0.0 <= c <= 1.0 for c in clamped)
    assert active == pytest.approx([1 - c for c in clamped])


def test_simcse_sup_keeps_its_head_at_test_time_and_unsup_drops_it(tmp_path):
    assert compose_config(["model=simcse_sup"], tmp_path).model.head_in_eval is True
    assert compose_config(["experiment=simcse_sup_bert_base"], tmp_path).model.head_in_eval is True
    assert compose_config(["model=simcse_unsup"], tmp_path).model.head_in_eval is False
    assert compose_config(["experiment=simcse_unsup_bert_base"], tmp_path).model.head_in_eval is False


def test_simcse_sup_encoder_applies_the_head_when_encoding(tiny_backbone_factory):
    import torch

    from sentemb.encoder.sentence_encoder import SentenceEncoder

    sup = SentenceEncoder(tiny_backbone_factory(0), "cls_before_pooler", mlp_head=True, head_in_eval=True).eval()
    tok = sup.tokenize(["A man plays a guitar.", "Two dogs run."], max_length=16)
    with torch.no_grad():
        with_head = sup(tok["input_ids"], tok["attention_mask"])
        sup.head_in_eval = False
        without = sup(tok["input_ids"], tok["attention_mask"])
        torch.testing.assert_close(with_head, sup.head(without))
