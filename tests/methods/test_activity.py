"""The inert-term monitor: warns once per term after `patience` steps at activity 0, naming the setting; records
each term's activity; sees sampler/loss activity (`ContrastivePairs.activity`) and auxiliary activity alike."""

from __future__ import annotations

import pytest
import torch

from conftest import SENTENCES
from sentemb.data.batches import DropoutPairBuilder
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.activity import ActivityMonitor, setting_of
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.methods.mlm import MLMObjective
from sentemb.samplers.in_batch import InBatchSampler


def test_warns_once_after_patience_zero_steps_and_summarises():
    warnings: list[str] = []
    monitor = ActivityMonitor(patience=3, warn=warnings.append)
    for share in (0.5, 0.0, 0.0):
        monitor.update("aux/x", share, "model.auxiliary.x.margin")
    assert warnings == []  # 2 zeros in a row: not yet
    monitor.update("aux/x", 0.0, "model.auxiliary.x.margin")
    assert len(warnings) == 1 and "'aux/x'" in warnings[0] and "model.auxiliary.x.margin" in warnings[0]
    for share in (0.0, 0.0, 0.0, 0.0, 1.0, 0.0, 0.0, 0.0):
        monitor.update("aux/x", share, "model.auxiliary.x.margin")
    assert len(warnings) == 1  # once per term, however long it stays inert
    summary = monitor.summary()["aux/x"]
    assert summary["steps_seen"] == 12 and summary["steps_at_zero"] == 10
    assert summary["longest_zero_run"] == 7 and not summary["never_acted"]
    assert summary["mean"] == pytest.approx(1.5 / 12)


def test_a_term_that_acts_now_and_then_never_warns():
    warnings: list[str] = []
    monitor = ActivityMonitor(patience=3, warn=warnings.append)
    for step in range(30):
        monitor.update("sampler/hard", 0.1 if step % 3 == 2 else 0.0, setting_of("sampler/hard"))
    assert warnings == [] and monitor.summary()["sampler/hard"]["longest_zero_run"] == 2


def test_state_survives_a_checkpoint():
    monitor = ActivityMonitor(patience=5, warn=lambda m: None)
    for share in (0.2, 0.0):
        monitor.update("aux/x", share, "s")
    again = ActivityMonitor(patience=5)
    again.load_state_dict(monitor.state_dict())
    assert again.summary() == monitor.summary() and again.terms["aux/x"].zero_run == 1


def test_setting_names_the_group():
    assert "sampler.*" in setting_of("sampler/debiased") and "loss.*" in setting_of("loss/clamp")
    with pytest.raises(ValueError, match="patience must be >= 1"):
        ActivityMonitor(patience=0)


class InertSampler(InBatchSampler):
    """In-batch pairs that report a term with share 0 (as DCL's clamp would when it binds for every anchor)."""

    def __call__(self, embeddings, labels=None):
        pairs = super().__call__(embeddings, labels)
        pairs.activity = {"sampler/test": 0.0}
        return pairs


def dropout_batch(tokenizer):
    rows = [{"input_ids": tokenizer(s)["input_ids"], "index": i} for i, s in enumerate(SENTENCES)]
    return DropoutPairBuilder(tokenizer)(rows)


def test_sampler_activity_is_logged_watched_and_warned(tiny_backbone_factory):
    module = ContrastiveModule(tiny_backbone_factory(0), InfoNCELoss(), InertSampler(), gather_across_devices=False,
                               inert_patience=4)
    logged = {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(torch.as_tensor(value).detach()))
    batch = dropout_batch(module.encoder.tokenizer)
    with pytest.warns(UserWarning, match=r"'sampler/test' has done nothing for 4 consecutive steps.*sampler\.\*"):
        for step in range(4):
            module.training_step(batch, step)
    assert logged["train/sampler/test_active"] == 0.0
    assert module.activity_monitor.summary()["sampler/test"]["never_acted"]


def test_mlm_activity_is_the_share_of_sequences_with_a_masked_token(tiny_backbone_factory):
    backbone = tiny_backbone_factory(0)
    module = ContrastiveModule(backbone, InfoNCELoss(), InBatchSampler(), gather_across_devices=False)
    batch = dropout_batch(backbone.tokenizer)
    objective = MLMObjective(mask_prob=0.15)
    objective.bind(module.encoder)
    torch.manual_seed(0)
    term = objective(module, batch, None)
    assert 0.0 < term.activity <= 1.0 and term.loss.item() > 0
    inert = MLMObjective(mask_prob=1e-9)  # no token is ever chosen: the term is 0 and says so
    inert.bind(module.encoder)
    term = inert(module, batch, None)
    assert term.activity == 0.0 and term.loss.item() == 0.0
