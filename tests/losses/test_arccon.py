import math

import pytest
import torch

from sentemb.losses.arccon import DEFAULT_MARGIN, ArcConLoss, clamped_arccos
from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.pairs import ContrastivePairs


def naive_arccon(anchors, candidates, positive_mask, negative_weight, tau, margin):
    """Loop over anchors and positives, straight from ArcCSE's eq. 3 (positives get cos(theta + m))."""
    losses = []
    for i in range(anchors.shape[0]):
        pos = [j for j in range(candidates.shape[0]) if positive_mask[i, j]]
        if not pos:
            continue
        logits, weights = [], []
        for j in range(candidates.shape[0]):
            cos = float(torch.nn.functional.cosine_similarity(anchors[i], candidates[j], dim=0))
            if positive_mask[i, j]:
                logits.append(math.cos(math.acos(max(-1.0, min(1.0, cos))) + margin) / tau)
                weights.append(1.0)
            else:
                logits.append(cos / tau)
                weights.append(1.0 if negative_weight is None else float(negative_weight[i, j]))
        denom = sum(w * math.exp(s) for w, s in zip(weights, logits, strict=True))
        losses.append(sum(-(logits[p] - math.log(denom)) for p in pos) / len(pos))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("views", [2, 3])
@pytest.mark.parametrize("tau", [0.05, 0.5])
def test_zero_margin_equals_infonce_exactly(views, tau):
    torch.manual_seed(0)
    pairs = InBatchSampler()(torch.randn(7, views, 12))
    assert torch.equal(ArcConLoss(tau, margin=0.0)(pairs), InfoNCELoss(tau)(pairs))


def test_zero_margin_equals_infonce_with_negative_weights_and_several_positives():
    torch.manual_seed(1)
    a, c = torch.randn(5, 8), torch.randn(9, 8)
    mask = torch.rand(5, 9) > 0.6
    mask[:, 0] = True
    weight = torch.rand(5, 9)
    pairs = ContrastivePairs(a, c, mask, weight)
    assert torch.equal(ArcConLoss(0.1, margin=0.0)(pairs), InfoNCELoss(0.1)(pairs))


@pytest.mark.parametrize("margin", [DEFAULT_MARGIN, 0.05, 0.5])
@pytest.mark.parametrize("views", [2, 3])
def test_matches_naive_loop(margin, views):
    torch.manual_seed(2)
    pairs = InBatchSampler()(torch.randn(6, views, 16, dtype=torch.float64))
    got = ArcConLoss(0.05, margin)(pairs).item()
    want = naive_arccon(pairs.anchors, pairs.candidates, pairs.positive_mask, None, 0.05, margin)
    assert got == pytest.approx(want, rel=1e-6)


def test_matches_naive_loop_with_weights_and_several_positives():
    torch.manual_seed(3)
    a, c = torch.randn(5, 8, dtype=torch.float64), torch.randn(7, 8, dtype=torch.float64)
    mask = torch.rand(5, 7) > 0.6
    mask[0] = False  # skipped
    mask[1, 2] = True
    weight = torch.rand(5, 7, dtype=torch.float64)
    weight[2, 3] = 0.0
    got = ArcConLoss(0.1, 0.3)(ContrastivePairs(a, c, mask, weight)).item()
    assert got == pytest.approx(naive_arccon(a, c, mask, weight, 0.1, 0.3), rel=1e-6)


def test_margin_raises_the_loss():
    torch.manual_seed(4)
    pairs = InBatchSampler()(torch.randn(8, 2, 16))
    losses = [ArcConLoss(0.05, m)(pairs).item() for m in (0.0, 0.1, 0.2, 0.4)]
    assert losses == sorted(losses) and losses[0] < losses[-1]


@pytest.mark.parametrize("dtype", [torch.float32, torch.float64])
def test_gradients_finite_for_identical_positive_pairs(dtype):
    torch.manual_seed(5)
    base = torch.randn(6, 1, 10, dtype=dtype)
    emb = base.repeat(1, 2, 1).requires_grad_(True)  # view 1 == view 0: theta = 0 on every positive
    loss = ArcConLoss(0.05, DEFAULT_MARGIN)(InBatchSampler()(emb))
    loss.backward()
    assert torch.isfinite(loss) and torch.isfinite(emb.grad).all()


def test_clamped_arccos_has_finite_gradient_at_the_ends():
    x = torch.tensor([1.0, -1.0, 1.0000001, 0.3], requires_grad=True)
    clamped_arccos(x).sum().backward()
    assert torch.isfinite(x.grad).all()


@pytest.mark.parametrize("margin", [-0.1, 2.0, float("nan")])
def test_margin_outside_range_names_the_setting(margin):
    with pytest.raises(ValueError, match=r"loss.margin must be an angle in radians in \[0, 1.5708\]"):
        ArcConLoss(margin=margin)


def test_temperature_validated():
    with pytest.raises(ValueError, match="loss.temperature"):
        ArcConLoss(temperature=0.0)


def test_loss_falls_when_positives_align():
    torch.manual_seed(6)
    emb = torch.randn(8, 2, 16, requires_grad=True)
    opt = torch.optim.SGD([emb], lr=0.5)
    loss_fn, sampler = ArcConLoss(0.1), InBatchSampler()
    first = loss_fn(sampler(emb)).item()
    for _ in range(30):
        opt.zero_grad()
        loss = loss_fn(sampler(emb))
        loss.backward()
        opt.step()
    assert loss.item() < first * 0.5
