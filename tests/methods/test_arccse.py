"""ArcCSE as configs: loss defaults and ablations, the auxiliary-objective mechanism, the triplet term."""

from __future__ import annotations

import math

import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from conftest import SENTENCES, compose_config
from sentemb.data.arccse_batches import ArcCSEBatchBuilder
from sentemb.losses.arccon import ArcConLoss
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.methods.objectives import AngularTripletObjective, dropout_off
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.train import build_module, train


@pytest.mark.parametrize("overrides,loss_cls,weight", [
    (["model=arccse"], ArcConLoss, 0.1),
    (["model=arccse", "loss=infonce"], InfoNCELoss, 0.1),
    (["loss=infonce", "model=arccse"], InfoNCELoss, 0.1),
    (["model=arccse", "model.triplet_weight=0"], ArcConLoss, 0.0),
    (["model=simcse_unsup", "loss=arccon"], ArcConLoss, None),
    (["experiment=arccse_bert_base"], ArcConLoss, 0.1),
    (["experiment=arccse_bert_base", "loss=infonce"], InfoNCELoss, 0.1),
])
def test_headline_and_ablations_compose(overrides, loss_cls, weight, tmp_path):
    cfg = compose_config(overrides, tmp_path)
    loss = instantiate(cfg.loss)
    assert type(loss) is loss_cls
    if loss_cls is ArcConLoss:
        assert loss.margin == pytest.approx(math.pi / 18) and loss.temperature == 0.05
    assert cfg.model.get("triplet_weight") == weight


def test_module_gets_the_triplet_objective(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "model=arccse", "model.triplet_weight=0.3"], tmp_path)
    module = build_module(cfg)
    objective = module.auxiliary["triplet"]
    assert isinstance(objective, AngularTripletObjective)
    assert objective.weight == 0.3 and objective.margin == 0.0 and not objective.dropout
    # its parameters (none here) and the encoder's are the module's; the loss is still the main one
    assert isinstance(module.loss_fn, ArcConLoss)


class ConstantObjective(nn.Module):
    def __init__(self, weight: float, value: float):
        super().__init__()
        self.weight, self.value, self.calls = weight, value, 0

    def forward(self, module, batch, embeddings):
        self.calls += 1
        assert embeddings.shape[:2] == (len(batch), batch.num_views)
        return embeddings.sum() * 0 + self.value


def make_module(tiny_backbone_factory, auxiliary):
    return ContrastiveModule(tiny_backbone_factory(0), InfoNCELoss(), InBatchSampler(), auxiliary=auxiliary,
                             gather_across_devices=False)


def tiny_batch(module):
    rows = [{"input_ids": module.encoder.tokenizer(s)["input_ids"], "index": i} for i, s in enumerate(SENTENCES)]
    return ArcCSEBatchBuilder(module.encoder.tokenizer, seed=0)(rows)


def test_total_loss_is_main_plus_weighted_terms(tiny_backbone_factory):
    aux = {"a": ConstantObjective(0.5, 2.0), "b": ConstantObjective(0.0, 100.0)}
    module = make_module(tiny_backbone_factory, aux).eval()  # eval: same embeddings in both calls
    batch = tiny_batch(module)
    logged = {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(torch.as_tensor(value).detach()))
    total = module.training_step(batch, 0)
    main = module.loss_fn(module.sampler(module.embed(batch)))
    assert total.item() == pytest.approx(main.item() + 0.5 * 2.0, rel=1e-5)
    assert aux["b"].calls == 0  # weight 0: not computed
    assert logged["train/aux/a"] == 2.0 and "train/aux/b" not in logged
    assert logged["train/loss_main"] == pytest.approx(main.item(), rel=1e-5)


def test_dropout_off_restores_each_mode():
    net = nn.Sequential(nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.5)))
    net.train()
    net[1].eval()
    with dropout_off(net):
        assert not any(m.training for m in net.modules())
    assert net.training and net[0].training and not net[1].training and not net[1][0].training


def test_triplet_views_are_encoded_without_dropout_by_default(tiny_backbone_factory):
    module = make_module(tiny_backbone_factory, None).train()
    batch = tiny_batch(module)
    quiet = AngularTripletObjective()
    torch.testing.assert_close(quiet.encode(module, batch), quiet.encode(module, batch))
    assert module.encoder.model.training  # restored
    noisy = AngularTripletObjective(dropout=True)
    assert not torch.allclose(noisy.encode(module, batch), noisy.encode(module, batch))


def test_triplet_term_trains_the_encoder(tiny_backbone_factory):
    module = make_module(tiny_backbone_factory, None).train()
    batch = tiny_batch(module)
    term = AngularTripletObjective(margin=0.5)(module, batch, None)
    assert term.item() > 0
    term.backward()
    grads = [p.grad for p in module.encoder.model.parameters() if p.grad is not None]
    assert grads and all(torch.isfinite(g).all() for g in grads)


def test_triplet_objective_needs_arccse_batches(tiny_backbone_factory):
    module = make_module(tiny_backbone_factory, None)
    batch = tiny_batch(module)
    batch.extra = None
    with pytest.raises(ValueError, match="ArcCSEBatchBuilder"):
        AngularTripletObjective()(module, batch, None)


@pytest.mark.parametrize("weight,margin", [(-0.1, 0.0), (0.1, -1.0), (0.1, 3.0)])
def test_objective_settings_validated(weight, margin):
    with pytest.raises(ValueError, match="model.triplet_weight|model.auxiliary.triplet.margin"):
        AngularTripletObjective(weight=weight, margin=margin)


@pytest.mark.parametrize("overrides,triplet_calls", [
    (["model=arccse", "loss=arccon"], 1),
    (["model=arccse", "loss=infonce"], 1),
    (["model=arccse", "model.triplet_weight=0"], 0),
    (["model=simcse_unsup", "loss=arccon"], 0),
])
def test_headline_and_ablations_fast_dev_run(overrides, triplet_calls, tiny_overrides, tmp_path, monkeypatch):
    calls = []
    original = AngularTripletObjective.forward

    def spy(self, module, batch, embeddings):
        term = original(self, module, batch, embeddings)
        calls.append(term.item())
        return term

    monkeypatch.setattr(AngularTripletObjective, "forward", spy)
    cfg = compose_config([*tiny_overrides, *overrides, "trainer.fast_dev_run=true", "callbacks=none"],
                         tmp_path / "run")
    train(cfg)
    assert len(calls) == triplet_calls and all(math.isfinite(c) for c in calls)
