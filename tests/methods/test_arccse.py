"""ArcCSE (sentemb.methods.arccse): configs and ablations, the triple-wise hinges against a naive loop, and the
whole training step (ArcCon + triple-wise term) against a hand-written reference, gradients included."""

from __future__ import annotations

import json
import math

import pytest
import torch
from hydra.utils import instantiate
from torch import nn

from conftest import SENTENCES, compose_config
from sentemb.losses.arccon import ArcConLoss
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.arccse import ArcCSEBatchBuilder, TripleWiseObjective, triple_wise_hinges
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.methods.objectives import AuxiliaryObjective, AuxiliaryTerm, dropout_off
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.train import train
from sentemb.training.build import build_module


@pytest.mark.parametrize("overrides,loss_cls,weight", [
    (["model=arccse"], ArcConLoss, 0.1),
    (["model=arccse", "loss=infonce"], InfoNCELoss, 0.1),
    (["loss=infonce", "model=arccse"], InfoNCELoss, 0.1),
    (["model=arccse", "model.auxiliary.triplet.weight=0"], ArcConLoss, 0.0),
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
    triplet = (cfg.model.get("auxiliary") or {}).get("triplet")
    assert (triplet.weight if triplet is not None else None) == weight


def test_module_gets_the_triplet_objective(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "model=arccse", "model.auxiliary.triplet.weight=0.3",
                          "model.auxiliary.triplet.pairing=own", "model.auxiliary.triplet.distance=cosine"], tmp_path)
    module = build_module(cfg)
    objective = module.auxiliary["triplet"]
    assert isinstance(objective, TripleWiseObjective)
    assert (objective.weight, objective.margin, objective.pairing, objective.distance) == (0.3, 0.0, "own", "cosine")
    assert objective.head and not objective.dropout
    assert isinstance(module.loss_fn, ArcConLoss)


# --- the hinges against a naive loop -------------------------------------------------------------------

def naive_term(triplet: torch.Tensor, margin: float, pairing: str, distance: str) -> tuple[float, float]:
    """(mean hinge, share of hinges > 0), one pair at a time."""
    def dist(a, b):
        cos = float(torch.dot(a, b) / (a.norm() * b.norm()))
        return math.acos(max(-1.0, min(1.0, cos))) if distance == "angle" else 1.0 - cos

    pairs = [(i, i) for i in range(len(triplet))] if pairing == "own" else \
        [(i, j) for i in range(len(triplet)) for j in range(len(triplet))]
    hinges = [max(0.0, dist(triplet[i, 0], triplet[j, 1]) - dist(triplet[i, 0], triplet[j, 2]) + margin)
              for i, j in pairs]
    return sum(hinges) / len(hinges), sum(h > 0 for h in hinges) / len(hinges)


@pytest.mark.parametrize("pairing", ["own", "all"])
@pytest.mark.parametrize("distance", ["angle", "cosine"])
@pytest.mark.parametrize("margin", [-0.2, 0.0, 0.3])
def test_hinges_match_a_naive_loop(pairing, distance, margin):
    torch.manual_seed(0)
    triplet = torch.randn(7, 3, 5, dtype=torch.float64)
    hinges = triple_wise_hinges(triplet, margin, pairing, distance)
    assert hinges.shape == ((7,) if pairing == "own" else (7, 7))
    mean, share = naive_term(triplet, margin, pairing, distance)
    assert hinges.mean().item() == pytest.approx(mean, rel=1e-6, abs=1e-9)
    assert (hinges > 0).double().mean().item() == pytest.approx(share)


def unit(angle: float) -> torch.Tensor:
    return torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)


def test_own_hinge_is_zero_when_the_order_holds_and_positive_when_violated():
    ordered = torch.stack([torch.stack([unit(0.0), unit(0.1), unit(0.5)])])  # theta' 0.1 < theta'' 0.5
    assert triple_wise_hinges(ordered, 0.0).item() == 0.0
    assert triple_wise_hinges(ordered, 0.45).item() == pytest.approx(0.05)
    violated = torch.stack([torch.stack([unit(0.0), unit(0.6), unit(0.2)])])
    assert triple_wise_hinges(violated, 0.0).item() == pytest.approx(0.4)
    with pytest.raises(ValueError, match=r"\(B, 3, D\)"):
        triple_wise_hinges(torch.randn(4, 2, 8))


# --- the objective in a module ----------------------------------------------------------------------------

def make_module(tiny_backbone_factory, loss=None, auxiliary=None):
    return ContrastiveModule(tiny_backbone_factory(0), loss or InfoNCELoss(), InBatchSampler(), mlp_head=True,
                             auxiliary=auxiliary, gather_across_devices=False)


def tiny_batch(module):
    rows = [{"input_ids": module.encoder.tokenizer(s)["input_ids"], "index": i} for i, s in enumerate(SENTENCES)]
    return ArcCSEBatchBuilder(module.encoder.tokenizer, seed=0)(rows)


class ConstantObjective(AuxiliaryObjective):
    def __init__(self, weight: float, value: float, activity: float = 1.0):
        super().__init__(weight, "model.auxiliary.constant")
        self.value, self.activity, self.calls = value, activity, 0

    def forward(self, module, batch, embeddings):
        self.calls += 1
        assert embeddings.shape[:2] == (len(batch), batch.num_views)
        return AuxiliaryTerm(embeddings.sum() * 0 + self.value, self.activity, {"calls": self.calls})


def capture_logs(module) -> dict[str, float]:
    logged: dict[str, float] = {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(torch.as_tensor(value).detach()))
    return logged


def test_total_loss_is_main_plus_weighted_terms(tiny_backbone_factory):
    aux = {"a": ConstantObjective(0.5, 2.0, activity=0.25), "b": ConstantObjective(0.0, 100.0)}
    module = make_module(tiny_backbone_factory, auxiliary=aux).eval()  # eval: same embeddings in both calls
    batch = tiny_batch(module)
    logged = capture_logs(module)
    total = module.training_step(batch, 0)
    main = module.loss_fn(module.sampler(module.embed(batch)))
    assert total.item() == pytest.approx(main.item() + 0.5 * 2.0, rel=1e-5)
    assert aux["b"].calls == 0  # weight 0: not computed, not watched
    assert logged["train/aux/a"] == 2.0 and logged["train/aux/a_active"] == 0.25 and logged["train/aux/a/calls"] == 1
    assert "train/aux/b" not in logged and "train/aux/b_active" not in logged
    assert logged["train/loss_main"] == pytest.approx(main.item(), rel=1e-5)
    assert module.activity_monitor.summary()["aux/a"]["mean"] == 0.25


def test_dropout_off_restores_each_mode():
    net = nn.Sequential(nn.Dropout(0.5), nn.Sequential(nn.Dropout(0.5)))
    net.train()
    net[1].eval()
    with dropout_off(net):
        assert not any(m.training for m in net.modules())
    assert net.training and net[0].training and not net[1].training and not net[1][0].training


def test_triplets_without_dropout_by_default_and_head_optional(tiny_backbone_factory):
    module = make_module(tiny_backbone_factory).train()
    batch = tiny_batch(module)
    quiet = TripleWiseObjective()
    torch.testing.assert_close(quiet.encode(module, batch), quiet.encode(module, batch))
    assert module.encoder.training and module.encoder.model.training  # restored
    noisy = TripleWiseObjective(dropout=True)
    assert not torch.allclose(noisy.encode(module, batch), noisy.encode(module, batch))
    pooled = TripleWiseObjective(head=False).encode(module, batch)
    assert module.encoder.training
    torch.testing.assert_close(module.encoder.head(pooled), quiet.encode(module, batch))
    assert not torch.allclose(pooled, quiet.encode(module, batch))


def test_triplet_objective_needs_arccse_batches(tiny_backbone_factory):
    module = make_module(tiny_backbone_factory)
    batch = tiny_batch(module)
    batch.extra = None
    with pytest.raises(ValueError, match="ArcCSEBatchBuilder"):
        TripleWiseObjective()(module, batch, None)


@pytest.mark.parametrize("kwargs,match", [
    (dict(weight=-0.1), r"model\.auxiliary\.triplet\.weight must be >= 0"),
    (dict(margin=3.5), r"model\.auxiliary\.triplet\.margin must be in \[-3\.142, 3\.142\]"),
    (dict(margin=2.5, distance="cosine"), r"model\.auxiliary\.triplet\.margin must be in \[-2, 2\]"),
    (dict(pairing="batch"), r"model\.auxiliary\.triplet\.pairing must be one of"),
    (dict(distance="l2"), r"model\.auxiliary\.triplet\.distance must be one of"),
])
def test_objective_settings_validated(kwargs, match):
    with pytest.raises(ValueError, match=match):
        TripleWiseObjective(**kwargs)


# --- the whole step against a hand-written reference --------------------------------------------------------

def reference_step(encoder, batch, tau, arc_margin, lam, tri_margin, pairing):
    """ArcCSE's loss written out: dropout views -> ArcCon (positive logit cos(theta + m)), then the triplets
    without dropout through the head -> the hinge, pair by pair. Returns (total, term, share, triplet)."""
    b, v, length = batch.input_ids.shape
    views = encoder(batch.input_ids.reshape(b * v, length), batch.attention_mask.reshape(b * v, length)).view(b, v, -1)
    z1 = nn.functional.normalize(views[:, 0], dim=-1)
    z2 = nn.functional.normalize(views[:, 1], dim=-1)
    arc = 0.0
    for i in range(b):
        logits = []
        for j in range(b):
            cos = torch.dot(z1[i], z2[j])
            logits.append(torch.cos(torch.arccos(cos.clamp(-1 + 1e-6, 1 - 1e-6)) + arc_margin) if i == j else cos)
        logits = torch.stack(logits) / tau
        arc = arc - (logits[i] - torch.logsumexp(logits, 0))
    arc = arc / b
    ids, mask = batch.extra["triplet_input_ids"], batch.extra["triplet_attention_mask"]
    encoder.model.eval()
    triplet = encoder(ids.reshape(b * 3, -1), mask.reshape(b * 3, -1)).view(b, 3, -1)
    encoder.model.train()
    triplet.retain_grad()
    pairs = [(i, i) for i in range(b)] if pairing == "own" else [(i, j) for i in range(b) for j in range(b)]
    hinges = []
    for i, j in pairs:
        def angle(x, y):
            cos = torch.dot(x, y) / (x.norm() * y.norm())
            return torch.arccos(cos.clamp(-1 + 1e-6, 1 - 1e-6))
        hinges.append(torch.relu(angle(triplet[i, 0], triplet[j, 1]) - angle(triplet[i, 0], triplet[j, 2]) + tri_margin))
    hinges = torch.stack(hinges)
    term = hinges.mean()
    return arc + lam * term, term, float((hinges > 0).float().mean()), triplet


@pytest.mark.parametrize("pairing", ["own", "all"])
def test_whole_step_matches_the_reference_with_gradients(tiny_backbone_factory, pairing):
    tri_margin = 0.003  # radians: the tiny random BERT's triplets are a few thousandths of a radian apart
    objective = TripleWiseObjective(weight=0.1, margin=tri_margin, pairing=pairing)
    module = make_module(tiny_backbone_factory, ArcConLoss(0.05, math.pi / 18), {"triplet": objective})
    module = module.double().train()  # float64: angles of a few thousandths of a radian, compared to 1e-6
    batch = tiny_batch(module)
    encoded = {}
    original = TripleWiseObjective.encode

    def keep(self, module, batch):
        encoded["triplet"] = original(self, module, batch)
        encoded["triplet"].retain_grad()
        return encoded["triplet"]

    objective.encode = keep.__get__(objective)
    logged = capture_logs(module)
    torch.manual_seed(3)
    total = module.training_step(batch, 0)
    total.backward()
    ours = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    module.zero_grad(set_to_none=True)

    torch.manual_seed(3)
    ref_total, ref_term, ref_share, ref_triplet = reference_step(module.encoder, batch, 0.05, math.pi / 18, 0.1,
                                                                 tri_margin, pairing)
    ref_total.backward()
    assert 0.0 < ref_share < 1.0  # some hinges act, some do not: the test can tell them apart
    assert total.item() == pytest.approx(ref_total.item(), rel=1e-9)
    assert logged["train/aux/triplet"] == pytest.approx(ref_term.item(), rel=1e-6)
    assert logged["train/aux/triplet_active"] == pytest.approx(ref_share)
    # gradient paths: s, s' and s'' all carry gradient (nothing is detached), equal to the reference's
    torch.testing.assert_close(encoded["triplet"].grad, ref_triplet.grad, rtol=1e-6, atol=1e-12)
    assert all(encoded["triplet"].grad[:, k].abs().sum() > 0 for k in range(3))
    for name, p in module.named_parameters():
        if name in ours:
            torch.testing.assert_close(ours[name], p.grad, rtol=1e-6, atol=1e-10, msg=name)
    assert ours.keys() == {n for n, p in module.named_parameters() if p.grad is not None}
    assert any("head" in n for n in ours) and any("encoder.model" in n for n in ours)


# --- through the entry point --------------------------------------------------------------------------------

@pytest.mark.parametrize("overrides,triplet_calls", [
    (["model=arccse", "loss=arccon"], 1),
    (["model=arccse", "loss=infonce"], 1),
    (["model=arccse", "model.auxiliary.triplet.pairing=own", "model.auxiliary.triplet.distance=cosine",
      "model.auxiliary.triplet.head=false", "model.auxiliary.triplet.dropout=true"], 1),
    (["model=arccse", "model.auxiliary.triplet.weight=0"], 0),
    (["model=simcse_unsup", "loss=arccon"], 0),
])
def test_headline_and_ablations_fast_dev_run(overrides, triplet_calls, tiny_overrides, tmp_path, monkeypatch):
    calls = []
    original = TripleWiseObjective.forward

    def spy(self, module, batch, embeddings):
        term = original(self, module, batch, embeddings)
        calls.append(term.loss.item())
        return term

    monkeypatch.setattr(TripleWiseObjective, "forward", spy)
    cfg = compose_config([*tiny_overrides, *overrides, "trainer.fast_dev_run=true", "callbacks=none"],
                         tmp_path / "run")
    train(cfg)
    assert len(calls) == triplet_calls and all(math.isfinite(c) for c in calls)


def test_forced_inert_triplet_term_warns_once_and_is_recorded(tiny_overrides, tmp_path):
    """A margin of -pi makes every hinge 0: after 50 steps at activity 0 the run warns once, naming the setting,
    and results.json records that the term never acted."""
    cfg = compose_config([*tiny_overrides, "model=arccse", "model.auxiliary.triplet.margin=-3.14",
                          "trainer.max_steps=55", "trainer.max_epochs=100", "callbacks=none", "eval=align_uniform",
                          "save_model=false"], tmp_path / "run")
    with pytest.warns(UserWarning, match=r"'aux/triplet' has done nothing for 50 consecutive steps.*"
                                         r"model\.auxiliary\.triplet") as record:
        train(cfg)
    assert sum("aux/triplet" in str(w.message) for w in record) == 1
    activity = json.loads((tmp_path / "run" / "results.json").read_text())["activity"]["aux/triplet"]
    assert activity == {"mean": 0.0, "steps_at_zero": 55, "steps_seen": 55, "longest_zero_run": 55,
                        "never_acted": True, "setting": activity["setting"]}


def test_default_form_acts_where_the_papers_own_form_does_not(tiny_backbone_factory):
    """On the tiny random BERT (as on all-MiniLM-L6-v2, experiments/arccse_triplet) every own triplet is
    already ordered, so the paper's own-pairing hinge at m = 0 is 0; the default all-pairing acts."""
    module = make_module(tiny_backbone_factory).train()
    batch = tiny_batch(module)
    default = TripleWiseObjective()
    assert (default.pairing, default.distance, default.margin, default.weight) == ("all", "angle", 0.0, 0.1)
    term = default(module, batch, None)
    assert term.activity > 0 and term.loss.item() > 0
    own = TripleWiseObjective(pairing="own")(module, batch, None)
    assert own.activity == 0.0 and own.loss.item() == 0.0
