"""InfoNCE with hard negatives (supervised SimCSE) against a naive loop over the formula."""

import math

import pytest
import torch

from sentemb.losses.hard_negatives import own_hard_negative_mask
from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.in_batch import InBatchSampler


def naive_sup_simcse(emb, tau, weight):
    """emb (B, 3, D): -log e^{s(h_i,h_i+)/t} / sum_j (e^{s(h_i,h_j+)/t} + a^{1[j=i]} e^{s(h_i,h_j-)/t}), a = e^weight."""
    b = emb.shape[0]
    cos = torch.nn.functional.cosine_similarity
    total = 0.0
    for i in range(b):
        denom = 0.0
        for j in range(b):
            denom += math.exp(float(cos(emb[i, 0], emb[j, 1], dim=0)) / tau)
            denom += math.exp(float(cos(emb[i, 0], emb[j, 2], dim=0)) / tau + (weight if i == j else 0.0))
        total += -(float(cos(emb[i, 0], emb[i, 1], dim=0)) / tau - math.log(denom))
    return total / b


@pytest.mark.parametrize("weight", [0.0, 0.5, -1.0, math.log(2.0)])
@pytest.mark.parametrize("tau", [0.05, 0.1])
def test_hard_negative_weight_matches_naive_loop(weight, tau):
    torch.manual_seed(0)
    emb = torch.randn(5, 3, 8, dtype=torch.float64)
    got = InfoNCELoss(tau, hard_negative_weight=weight)(InBatchSampler()(emb)).item()
    assert got == pytest.approx(naive_sup_simcse(emb, tau, weight), rel=1e-9)


@pytest.mark.parametrize("weight", [0.0, 0.3, 2.0])
def test_without_hard_negatives_it_is_plain_infonce(weight):
    """Two views (no contradictions): the weight has nothing to act on and the loss is plain InfoNCE."""
    torch.manual_seed(1)
    emb = torch.randn(6, 2, 8, dtype=torch.float64)
    pairs = InBatchSampler()(emb)
    plain = InfoNCELoss(0.05)(pairs)
    torch.testing.assert_close(InfoNCELoss(0.05, hard_negative_weight=weight)(pairs), plain)
    logits = pairs.cosine() / 0.05
    torch.testing.assert_close(plain, torch.nn.functional.cross_entropy(logits, torch.arange(6)))


def test_hard_negatives_raise_the_loss_over_two_views():
    torch.manual_seed(2)
    emb = torch.randn(6, 3, 8)
    with_hard = InfoNCELoss(0.05)(InBatchSampler()(emb))
    without = InfoNCELoss(0.05)(InBatchSampler()(emb[:, :2]))
    assert with_hard > without  # more terms in every denominator


def test_own_hard_negative_mask_layout():
    mask = own_hard_negative_mask(3, 6)
    assert mask[:, :3].sum() == 0 and torch.equal(mask[:, 3:], torch.eye(3, dtype=torch.bool))
    assert own_hard_negative_mask(3, 3).sum() == 0
    with pytest.raises(ValueError, match="sampler=in_batch"):
        own_hard_negative_mask(3, 7)
