import math

import pytest
import torch

from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.pairs import ContrastivePairs


def naive_info_nce(anchors, candidates, positive_mask, negative_weight, tau):
    """Loop over anchors and positives, straight from the formula."""
    losses = []
    for i in range(anchors.shape[0]):
        pos = [j for j in range(candidates.shape[0]) if positive_mask[i, j]]
        if not pos:
            continue
        sims = [float(torch.nn.functional.cosine_similarity(anchors[i], candidates[j], dim=0)) / tau
                for j in range(candidates.shape[0])]
        denom = 0.0
        for j, s in enumerate(sims):
            w = 1.0 if positive_mask[i, j] else (1.0 if negative_weight is None else float(negative_weight[i, j]))
            denom += w * math.exp(s)
        losses.append(sum(-(sims[p] - math.log(denom)) for p in pos) / len(pos))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("tau", [0.05, 0.1, 1.0])
@pytest.mark.parametrize("views", [2, 3])
def test_infonce_matches_naive_loop_for_in_batch_pairs(tau, views):
    torch.manual_seed(0)
    emb = torch.randn(6, views, 16, dtype=torch.float64)
    pairs = InBatchSampler()(emb)
    got = InfoNCELoss(tau)(pairs).item()
    assert got == pytest.approx(naive_info_nce(pairs.anchors, pairs.candidates, pairs.positive_mask, None, tau),
                                rel=1e-9)


def test_infonce_equals_cross_entropy_on_diagonal():
    torch.manual_seed(1)
    a, b = torch.randn(8, 10), torch.randn(8, 10)
    pairs = ContrastivePairs(a, b, torch.eye(8, dtype=torch.bool))
    sim = torch.nn.functional.cosine_similarity(a.unsqueeze(1), b.unsqueeze(0), dim=-1) / 0.05
    expected = torch.nn.functional.cross_entropy(sim, torch.arange(8))
    torch.testing.assert_close(InfoNCELoss(0.05)(pairs), expected)


def test_multi_positive_and_weights_match_naive_loop():
    torch.manual_seed(2)
    a, c = torch.randn(5, 8, dtype=torch.float64), torch.randn(7, 8, dtype=torch.float64)
    mask = torch.rand(5, 7) > 0.6
    mask[0] = False  # an anchor without positives is skipped
    mask[1, 2] = True
    weight = torch.rand(5, 7, dtype=torch.float64)
    weight[2, 3] = 0.0  # excluded from the denominator
    got = InfoNCELoss(0.1)(ContrastivePairs(a, c, mask, weight)).item()
    assert got == pytest.approx(naive_info_nce(a, c, mask, weight, 0.1), rel=1e-9)


@pytest.mark.parametrize("tau", [0.0, -0.1])
def test_temperature_must_be_positive(tau):
    with pytest.raises(ValueError, match="loss.temperature must be > 0"):
        InfoNCELoss(tau)


def test_no_positive_anywhere_is_an_error():
    pairs = ContrastivePairs(torch.randn(3, 4), torch.randn(3, 4), torch.zeros(3, 3, dtype=torch.bool))
    with pytest.raises(ValueError, match="no anchor"):
        InfoNCELoss()(pairs)


def test_loss_falls_when_positives_align():
    torch.manual_seed(3)
    emb = torch.randn(8, 2, 16, requires_grad=True)
    opt = torch.optim.SGD([emb], lr=0.5)
    loss_fn, sampler = InfoNCELoss(0.1), InBatchSampler()
    first = loss_fn(sampler(emb)).item()
    for _ in range(30):
        opt.zero_grad()
        loss = loss_fn(sampler(emb))
        loss.backward()
        opt.step()
    assert loss.item() < first * 0.5
