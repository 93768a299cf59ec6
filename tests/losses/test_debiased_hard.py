"""DCL and HCL against naive loops written from the authors' code (chingyaoc/DCL, joshr17/HCL)."""

import math

import pytest
import torch

from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.debiased import DebiasedSampler
from sentemb.samplers.hard import HardNegativeSampler
from sentemb.samplers.in_batch import InBatchSampler


def naive_hcl(anchors, candidates, positive_mask, tau, tau_plus, beta):
    """Per anchor, per positive, straight from HCL's estimator='hard' (beta = 0: DCL's debiased loss)."""
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
@pytest.mark.parametrize("tau,tau_plus", [(0.5, 0.1), (0.5, 0.3), (1.0, 0.05), (0.05, 0.1)])
def test_dcl_matches_naive_loop(views, tau, tau_plus):
    torch.manual_seed(0)
    emb = torch.randn(7, views, 12, dtype=torch.float64)
    pairs = DebiasedSampler(tau_plus)(emb)
    got = InfoNCELoss(tau)(pairs).item()
    assert got == pytest.approx(naive_hcl(pairs.anchors, pairs.candidates, pairs.positive_mask, tau, tau_plus, 0.0),
                                rel=1e-9)


def test_dcl_clamp_is_active_for_close_positives_at_low_temperature():
    """tau 0.05 with near-duplicate positives: the debiased term hits DCL's floor N e^(-1/tau)."""
    torch.manual_seed(1)
    base = torch.randn(6, 1, 8, dtype=torch.float64)
    emb = torch.cat([base, base + 0.01 * torch.randn_like(base)], dim=1)
    pairs = DebiasedSampler(0.1)(emb)
    got = InfoNCELoss(0.05)(pairs).item()
    assert got == pytest.approx(naive_hcl(pairs.anchors, pairs.candidates, pairs.positive_mask, 0.05, 0.1, 0.0),
                                rel=1e-9)
    assert got < 1e-6  # the floor makes the loss vanish: what a small tau does to DCL


@pytest.mark.parametrize("views", [2, 3])
@pytest.mark.parametrize("beta,tau_plus", [(1.0, 0.1), (0.5, 0.0), (2.0, 0.2)])
def test_hcl_matches_naive_loop(views, beta, tau_plus):
    torch.manual_seed(2)
    tau = 0.5
    emb = torch.randn(6, views, 10, dtype=torch.float64)
    pairs = HardNegativeSampler(beta, tau_plus, temperature=tau)(emb)
    got = InfoNCELoss(tau)(pairs).item()
    assert got == pytest.approx(naive_hcl(pairs.anchors, pairs.candidates, pairs.positive_mask, tau, tau_plus, beta),
                                rel=1e-9)


@pytest.mark.parametrize("views", [2, 3])
@pytest.mark.parametrize("tau", [0.05, 0.5])
def test_dcl_with_tau_plus_zero_equals_infonce_exactly(views, tau):
    torch.manual_seed(3)
    emb = torch.randn(8, views, 16)
    plain = InfoNCELoss(tau)(InBatchSampler()(emb))
    assert torch.equal(InfoNCELoss(tau)(DebiasedSampler(0.0)(emb)), plain)


@pytest.mark.parametrize("views", [2, 3])
def test_debiased_estimator_at_tau_plus_zero_is_infonce(views):
    """The DCL formula itself (not the dispatch) at tau_plus = 0 equals InfoNCE (its floor never binds)."""
    from sentemb.losses.debiased import debiased_info_nce
    from sentemb.losses.infonce import multi_positive_info_nce

    torch.manual_seed(4)
    pairs = InBatchSampler()(torch.randn(8, views, 16, dtype=torch.float64))
    logits = pairs.cosine() / 0.05
    torch.testing.assert_close(debiased_info_nce(logits, pairs.positive_mask, None, 0.0, 0.05),
                               multi_positive_info_nce(logits, pairs.positive_mask, None), rtol=1e-12, atol=1e-12)


@pytest.mark.parametrize("tau_plus", [0.0, 0.1])
@pytest.mark.parametrize("views", [2, 3])
def test_hcl_with_beta_zero_equals_dcl_exactly(tau_plus, views):
    torch.manual_seed(5)
    emb = torch.randn(8, views, 16, requires_grad=True)
    hard = HardNegativeSampler(beta=0.0, tau_plus=tau_plus, temperature=0.05)(emb)
    assert torch.equal(hard.negative_weight, torch.ones_like(hard.negative_weight))
    loss_hcl = InfoNCELoss(0.05)(hard)
    loss_dcl = InfoNCELoss(0.05)(DebiasedSampler(tau_plus)(emb))
    assert torch.equal(loss_hcl, loss_dcl)
    (g_hcl,) = torch.autograd.grad(loss_hcl, emb)
    (g_dcl,) = torch.autograd.grad(loss_dcl, emb)
    assert torch.equal(g_hcl, g_dcl)


def test_hcl_weights_average_one_and_favour_hard_negatives():
    torch.manual_seed(6)
    pairs = HardNegativeSampler(beta=1.0, tau_plus=0.0, temperature=0.1)(torch.randn(5, 2, 8, dtype=torch.float64))
    w, neg = pairs.negative_weight, ~pairs.positive_mask
    torch.testing.assert_close(w.masked_fill(~neg, 0).sum(1) / neg.sum(1), torch.ones(5, dtype=torch.float64))
    cos = pairs.cosine().masked_fill(~neg, float("-inf"))
    assert torch.equal(cos.argmax(1), w.masked_fill(~neg, float("-inf")).argmax(1))


def test_hcl_is_stable_at_low_temperature_and_large_beta():
    torch.manual_seed(7)
    emb = torch.randn(16, 2, 32)
    loss = InfoNCELoss(0.02)(HardNegativeSampler(beta=5.0, tau_plus=0.1, temperature=0.02)(emb))
    assert torch.isfinite(loss)


@pytest.mark.parametrize("bad", [{"beta": -1.0}, {"tau_plus": 1.0}, {"tau_plus": -0.1}, {"temperature": 0.0}])
def test_hard_sampler_validates_settings(bad):
    with pytest.raises(ValueError, match="sampler\\."):
        HardNegativeSampler(**bad)


def test_debiased_sampler_validates_tau_plus():
    with pytest.raises(ValueError, match="sampler.tau_plus must be in"):
        DebiasedSampler(1.0)


def test_hard_sampler_without_a_temperature_is_refused_at_start_up():
    from sentemb.losses.cosent import CoSENTLoss
    from sentemb.samplers.compat import IncompatibleConfigError, check_compatible

    sampler = HardNegativeSampler(temperature=None)
    with pytest.raises(IncompatibleConfigError, match="sampler=hard"):
        check_compatible(CoSENTLoss(), sampler)


@pytest.mark.parametrize("make", ["hard", "false_negative"])
def test_samplers_without_a_temperature_are_refused_at_start_up(make):
    from sentemb.samplers.compat import IncompatibleConfigError, check_compatible
    from sentemb.samplers.false_negative import FalseNegativeSampler

    class WeightedLossWithoutTemperature:  # uses what the samplers give, but has no tau to share
        config_name = "custom"
        consumes = frozenset({"negative_weight", "tau_plus"})

    sampler = HardNegativeSampler(temperature=None) if make == "hard" else \
        FalseNegativeSampler(base="hard", top_k=1, temperature=None)
    with pytest.raises(IncompatibleConfigError, match="loss temperature.*loss=custom"):
        check_compatible(WeightedLossWithoutTemperature(), sampler)
