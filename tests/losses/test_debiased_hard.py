"""DCL and HCL against the authors' code, transcribed: chingyaoc/DCL main.py:34-54 (debiased) and joshr17/HCL
image/main.py:28-56 (estimator='hard'), both in their layout (2B anchors, 2B - 2 negatives); the first-view
layout against a naive loop; the clamp statistic and the start-up warning."""

import math
import warnings

import numpy as np
import pytest
import torch

from sentemb.losses.debiased import ClampMonitor
from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.debiased import DebiasedSampler
from sentemb.samplers.hard import HardNegativeSampler
from sentemb.samplers.in_batch import InBatchSampler


def get_negative_mask(batch_size):
    """DCL main.py:16-23 / HCL image/main.py:19-26."""
    negative_mask = torch.ones((batch_size, 2 * batch_size), dtype=bool)
    for i in range(batch_size):
        negative_mask[i, i] = 0
        negative_mask[i, i + batch_size] = 0
    return torch.cat((negative_mask, negative_mask), 0)


def reference_terms(out_1, out_2, temperature, tau_plus, beta):
    """HCL image/main.py:28-56 with estimator='hard' (beta = 0: DCL main.py:34-54, debiased=True) on the
    normalised projections (both references' Model returns F.normalize(out)). -> (loss, Ng before the clamp,
    the clamp N e^(-1/tau))."""
    out_1, out_2 = torch.nn.functional.normalize(out_1, dim=-1), torch.nn.functional.normalize(out_2, dim=-1)
    batch_size = out_1.shape[0]
    out = torch.cat([out_1, out_2], dim=0)
    neg = torch.exp(torch.mm(out, out.t().contiguous()) / temperature)
    neg = neg.masked_select(get_negative_mask(batch_size)).view(2 * batch_size, -1)
    pos = torch.exp(torch.sum(out_1 * out_2, dim=-1) / temperature)
    pos = torch.cat([pos, pos], dim=0)
    N = batch_size * 2 - 2
    if beta:
        imp = (beta * neg.log()).exp()
        reweight_neg = (imp * neg).sum(dim=-1) / imp.mean(dim=-1)
    else:
        reweight_neg = neg.sum(dim=-1)  # DCL main.py:47
    raw = (-tau_plus * N * pos + reweight_neg) / (1 - tau_plus)
    floor = N * np.e ** (-1 / temperature)
    Ng = torch.clamp(raw, min=floor)
    return (-torch.log(pos / (pos + Ng))).mean(), raw, floor


def emb_pair(seed, b=6, d=10, spread=1.0):
    torch.manual_seed(seed)
    base = torch.randn(b, 1, d, dtype=torch.float64)
    return torch.cat([base, base + spread * torch.randn_like(base)], dim=1).requires_grad_()


CASES = [(0.5, 0.1, 1.0), (0.5, 0.3, 1.0), (1.0, 0.05, 1.0), (0.05, 0.1, 1.0), (0.2, 0.1, 0.3)]


@pytest.mark.parametrize("tau,tau_plus,spread", CASES)
@pytest.mark.parametrize("method", ["dcl", "hcl_beta1", "hcl_beta2"])
def test_loss_and_gradient_match_the_reference_in_its_layout(method, tau, tau_plus, spread):
    beta = {"dcl": 0.0, "hcl_beta1": 1.0, "hcl_beta2": 2.0}[method]
    emb = emb_pair(0, spread=spread)
    sampler = DebiasedSampler(tau_plus) if method == "dcl" else HardNegativeSampler(beta, tau_plus, temperature=tau)
    pairs = sampler(emb)
    assert pairs.anchors.shape[0] == 12 and int((pairs.negative_weight[0] > 0).sum()) - 1 == 10  # 2B, 2B-2 (+pos)
    got = InfoNCELoss(tau)(pairs)
    (g_got,) = torch.autograd.grad(got, emb)
    ref, raw, floor = reference_terms(emb[:, 0], emb[:, 1], tau, tau_plus, beta)
    (g_ref,) = torch.autograd.grad(ref, emb)
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(g_got, g_ref, rtol=1e-8, atol=1e-12)
    assert pairs.stats["sampler/clamped"] == pytest.approx(float((raw < floor).double().mean()))
    assert pairs.activity["sampler/debiased"] == pytest.approx(1 - pairs.stats["sampler/clamped"])


def test_hcl_weights_carry_gradient_as_in_the_reference():
    """HCL's imp = neg^beta is not detached in image/main.py:43: detaching it changes the gradient."""
    emb = emb_pair(1)
    pairs = HardNegativeSampler(1.0, 0.1, temperature=0.5)(emb)
    (g,) = torch.autograd.grad(InfoNCELoss(0.5)(pairs), emb, retain_graph=True)
    detached = type(pairs)(pairs.anchors, pairs.candidates, pairs.positive_mask, pairs.negative_weight.detach(),
                           tau_plus=0.1)
    (g_detached,) = torch.autograd.grad(InfoNCELoss(0.5)(detached), emb)
    assert pairs.stats["sampler/clamped"] == 0.0
    assert not torch.allclose(g, g_detached)


@pytest.mark.parametrize("make", [lambda: DebiasedSampler(0.3), lambda: HardNegativeSampler(1.0, 0.3, temperature=0.5)])
def test_at_the_clamp_only_the_positives_get_gradient(make):
    """Two examples at opposite poles: each anchor's negative term is at N e^(-1/tau), a constant, so the
    gradient is that of -log(pos / (pos + N e^(-1/tau))): the negatives (and HCL's weights) push nothing."""
    torch.manual_seed(2)
    pole = torch.nn.functional.one_hot(torch.tensor(0), 6).double()
    emb = (torch.stack([pole, -pole]).unsqueeze(1).repeat(1, 2, 1)
           + 0.05 * torch.randn(2, 2, 6, dtype=torch.float64)).requires_grad_()
    pairs = make()(emb)
    loss = InfoNCELoss(0.5)(pairs)
    (g,) = torch.autograd.grad(loss, emb)
    assert pairs.stats["sampler/clamped"] == 1.0 and pairs.activity["sampler/debiased"] == 0.0
    z = torch.nn.functional.normalize(emb, dim=-1)
    pos = torch.exp((z[:, 0] * z[:, 1]).sum(-1) / 0.5)
    floor = 2 * math.exp(-1 / 0.5)  # N = 2B - 2 = 2
    (g_pos_only,) = torch.autograd.grad((-torch.log(pos / (pos + floor))).mean(), emb)
    assert float(loss.detach()) > 0.01 and float(g.abs().max()) > 1e-3
    torch.testing.assert_close(g, g_pos_only, rtol=1e-8, atol=1e-15)


def naive_first_view(anchors, candidates, positive_mask, tau, tau_plus, beta):
    """Per anchor, per positive, straight from HCL's estimator='hard' (beta = 0: DCL), no self-exclusion."""
    cos = torch.nn.functional.cosine_similarity
    losses = []
    for i in range(anchors.shape[0]):
        pos_js = [j for j in range(candidates.shape[0]) if positive_mask[i, j]]
        neg_js = [j for j in range(candidates.shape[0]) if not positive_mask[i, j]]
        neg = [math.exp(float(cos(anchors[i], candidates[j], dim=0)) / tau) for j in neg_js]
        imp = [math.exp(beta * math.log(x)) for x in neg]
        n = len(neg)
        reweight_neg = sum(a * b for a, b in zip(imp, neg)) / (sum(imp) / n)
        terms = []
        for p in pos_js:
            pos = math.exp(float(cos(anchors[i], candidates[p], dim=0)) / tau)
            ng = max((-tau_plus * n * pos + reweight_neg) / (1 - tau_plus), n * math.exp(-1 / tau))
            terms.append(-math.log(pos / (pos + ng)))
        losses.append(sum(terms) / len(terms))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("views", [2, 3])
@pytest.mark.parametrize("beta,tau_plus", [(0.0, 0.1), (1.0, 0.1), (0.5, 0.0), (2.0, 0.2)])
def test_first_view_layout_matches_naive_loop(views, beta, tau_plus):
    torch.manual_seed(2)
    tau = 0.5
    emb = torch.randn(6, views, 10, dtype=torch.float64)
    sampler = DebiasedSampler(tau_plus, anchors="first_view") if beta == 0 else \
        HardNegativeSampler(beta, tau_plus, temperature=tau, anchors="first_view")
    pairs = sampler(emb)
    assert pairs.anchors.shape[0] == 6
    got = InfoNCELoss(tau)(pairs).item()
    assert got == pytest.approx(naive_first_view(pairs.anchors, pairs.candidates, pairs.positive_mask, tau, tau_plus,
                                                 beta), rel=1e-9)


@pytest.mark.parametrize("views", [2, 3])
def test_all_views_layout_with_three_views_matches_naive_loop_over_other_views(views):
    """V >= 2 same-text views: each anchor's positives are its other views, its negatives the other examples'."""
    torch.manual_seed(3)
    emb = torch.randn(5, views, 8, dtype=torch.float64)
    pairs = DebiasedSampler(0.1)(emb)
    flat = emb.transpose(0, 1).reshape(5 * views, -1)
    example = torch.arange(5).repeat(views)
    total = []
    for i in range(5 * views):
        others = [j for j in range(5 * views) if j != i]
        sub_pos = torch.tensor([[example[j] == example[i] for j in others]])
        total.append(naive_first_view(flat[i:i + 1], flat[others], sub_pos, 0.5, 0.1, 0.0))
    assert InfoNCELoss(0.5)(pairs).item() == pytest.approx(sum(total) / len(total), rel=1e-9)


@pytest.mark.parametrize("anchors", ["all_views", "first_view"])
@pytest.mark.parametrize("tau", [0.05, 0.5])
def test_dcl_with_tau_plus_zero_equals_infonce_exactly(anchors, tau):
    torch.manual_seed(3)
    emb = torch.randn(8, 2, 16)
    pairs = DebiasedSampler(0.0, anchors=anchors)(emb)
    plain = InfoNCELoss(tau)(InBatchSampler()(emb)) if anchors == "first_view" else None
    if plain is not None:
        assert torch.equal(InfoNCELoss(tau)(pairs), plain)
    else:  # NT-Xent over 2B views (SimCLR): cross-entropy with the diagonal masked
        z = torch.nn.functional.normalize(torch.cat([emb[:, 0], emb[:, 1]]), dim=-1)
        logits = (z @ z.T / tau).masked_fill(torch.eye(16, dtype=torch.bool), float("-inf"))
        target = torch.cat([torch.arange(8, 16), torch.arange(8)])
        torch.testing.assert_close(InfoNCELoss(tau)(pairs), torch.nn.functional.cross_entropy(logits, target))


@pytest.mark.parametrize("tau_plus", [0.0, 0.1])
@pytest.mark.parametrize("anchors", ["all_views", "first_view"])
def test_hcl_with_beta_zero_equals_dcl_exactly(tau_plus, anchors):
    torch.manual_seed(5)
    emb = torch.randn(8, 2, 16, requires_grad=True)
    hard = HardNegativeSampler(beta=0.0, tau_plus=tau_plus, temperature=0.05, anchors=anchors)(emb)
    dcl = DebiasedSampler(tau_plus, anchors=anchors)(emb)
    assert torch.equal(hard.negative_weight, torch.ones_like(hard.negative_weight) if dcl.negative_weight is None
                       else dcl.negative_weight)
    loss_hcl, loss_dcl = InfoNCELoss(0.05)(hard), InfoNCELoss(0.05)(dcl)
    assert torch.equal(loss_hcl, loss_dcl)
    (g_hcl,) = torch.autograd.grad(loss_hcl, emb)
    (g_dcl,) = torch.autograd.grad(loss_dcl, emb)
    assert torch.equal(g_hcl, g_dcl)


def test_hcl_weights_average_one_over_the_negatives_and_favour_hard_ones():
    torch.manual_seed(6)
    pairs = HardNegativeSampler(beta=1.0, tau_plus=0.0, temperature=0.1)(torch.randn(5, 2, 8, dtype=torch.float64))
    w = pairs.negative_weight
    neg = ~pairs.positive_mask & ~torch.eye(10, dtype=torch.bool)
    assert torch.equal(w.diagonal(), torch.zeros(10, dtype=torch.float64))  # the anchor itself stays out
    torch.testing.assert_close(w.masked_fill(~neg, 0).sum(1) / neg.sum(1), torch.ones(10, dtype=torch.float64))
    cos = pairs.cosine().masked_fill(~neg, float("-inf"))
    assert torch.equal(cos.argmax(1), w.masked_fill(~neg, float("-inf")).argmax(1))


def test_hcl_is_stable_at_low_temperature_and_large_beta():
    torch.manual_seed(7)
    emb = torch.randn(16, 2, 32)
    loss = InfoNCELoss(0.02)(HardNegativeSampler(beta=5.0, tau_plus=0.1, temperature=0.02)(emb))
    assert torch.isfinite(loss)


@pytest.mark.parametrize("make", [lambda: DebiasedSampler(0.1), lambda: HardNegativeSampler(temperature=0.5)])
def test_all_views_is_refused_for_views_of_different_texts(make):
    text_ids = torch.tensor([[1, 2, 3], [4, 5, 6]])  # NLI triplets: premise, entailment, contradiction
    with pytest.raises(ValueError, match="sampler.anchors=first_view"):
        make()(torch.randn(2, 3, 4), text_ids=text_ids)
    make()(torch.randn(2, 2, 4), text_ids=torch.tensor([[1, 1], [2, 2]]))  # dropout pairs: fine


def test_clamp_monitor_warns_once_when_most_of_the_first_batches_are_clamped():
    clamped = emb_pair(2, spread=0.01)  # near-duplicate views: at tau 0.05 every anchor is at the clamp
    loss = InfoNCELoss(0.05)
    with pytest.warns(UserWarning, match=r"loss.temperature=0.05 .*100% of the anchors over the first 3 batches"):
        for _ in range(3):
            loss(DebiasedSampler(0.1)(clamped))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        loss(DebiasedSampler(0.1)(clamped))  # once only


def test_clamp_monitor_is_silent_off_the_clamp():
    loss = InfoNCELoss(0.5)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        for seed in range(4):
            pairs = DebiasedSampler(0.1)(emb_pair(seed))
            loss(pairs)
            assert pairs.stats["sampler/clamped"] < 0.5


def test_clamp_monitor_adds_to_the_samplers_stats():
    monitor = ClampMonitor(check_batches=1, warn_above=0.5)
    pairs = DebiasedSampler(0.1)(emb_pair(0))
    pairs.stats = {"false_negatives": 2.0}
    monitor(pairs, pairs.cosine() / 0.5, 0.5)
    assert set(pairs.stats) == {"false_negatives", "sampler/clamped"}  # adds to what the sampler logged


@pytest.mark.parametrize("bad", [{"beta": -1.0}, {"tau_plus": 1.0}, {"tau_plus": -0.1}, {"temperature": 0.0},
                                 {"anchors": "both"}])
def test_hard_sampler_validates_settings(bad):
    with pytest.raises(ValueError, match="sampler\\."):
        HardNegativeSampler(**bad)


@pytest.mark.parametrize("bad", [{"tau_plus": 1.0}, {"anchors": "both"}])
def test_debiased_sampler_validates_settings(bad):
    with pytest.raises(ValueError, match="sampler\\.(tau_plus|anchors) must be"):
        DebiasedSampler(**bad)


def test_hard_sampler_without_a_temperature_is_refused_at_start_up():
    from sentemb.losses.cosent import CoSENTLoss
    from sentemb.samplers.compat import IncompatibleConfigError, check_compatible

    sampler = HardNegativeSampler(temperature=None)
    with pytest.raises(IncompatibleConfigError, match="sampler=hard"):
        check_compatible(CoSENTLoss(), sampler)


@pytest.mark.parametrize("make", ["hard", "false_negative"])
def test_samplers_without_a_temperature_are_refused_at_start_up(make):
    from sentemb.bases import LossBase
    from sentemb.samplers.compat import IncompatibleConfigError, check_compatible
    from sentemb.samplers.false_negative import FalseNegativeSampler

    class WeightedLossWithoutTemperature(LossBase):  # uses what the samplers give, but has no tau to share
        config_name = "custom"
        consumes = frozenset({"negative_weight", "tau_plus"})

    sampler = HardNegativeSampler(temperature=None) if make == "hard" else \
        FalseNegativeSampler(base="hard", top_k=1, temperature=None)
    with pytest.raises(IncompatibleConfigError, match="loss temperature.*loss=custom"):
        check_compatible(WeightedLossWithoutTemperature(), sampler)


@pytest.mark.parametrize("beta", [0.0, 1.0])  # 0: sampler=debiased (DCL), 1: sampler=hard (HCL)
def test_training_step_on_tiny_bert_matches_the_reference_step(beta, tiny_backbone_factory):
    """ContrastiveModule.training_step (encoder with MLP head, both dropout views, sampler, loss) against the
    references' step on the same embeddings (same dropout masks): loss, every parameter's gradient, the
    logged clamp share; the backbone and the head both get gradient."""
    from conftest import SENTENCES
    from sentemb.data.batches import DropoutPairBuilder
    from sentemb.methods.contrastive import ContrastiveModule

    sampler = DebiasedSampler(0.1) if beta == 0 else HardNegativeSampler(beta, 0.1, temperature=0.5)
    module = ContrastiveModule(tiny_backbone_factory(0), InfoNCELoss(0.5), sampler, mlp_head=True,
                               gather_across_devices=False).train()
    tok = module.encoder.tokenizer
    batch = DropoutPairBuilder(tok)([{"input_ids": tok(s)["input_ids"], "text_id": i}
                                     for i, s in enumerate(SENTENCES[:8])])
    logged = {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(torch.as_tensor(value).detach()))
    torch.manual_seed(0)
    loss = module.training_step(batch, 0)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    module.zero_grad()
    torch.manual_seed(0)
    emb = module.embed(batch)
    ref, raw, floor = reference_terms(emb[:, 0], emb[:, 1], 0.5, 0.1, beta)
    ref.backward()
    torch.testing.assert_close(loss.detach(), ref.detach())
    ref_grads = {n: p.grad for n, p in module.named_parameters() if p.grad is not None}
    assert grads.keys() == ref_grads.keys()
    assert any(n.startswith("encoder.head.") for n in grads) and any(n.startswith("encoder.model.") for n in grads)
    for name in grads:
        torch.testing.assert_close(grads[name], ref_grads[name], rtol=1e-4, atol=1e-7, msg=name)
    assert logged["train/sampler/clamped"] == pytest.approx(float((raw < floor).float().mean()))
    assert logged["train/sampler/debiased_active"] == pytest.approx(1 - logged["train/sampler/clamped"])
