import math

import pytest
import torch

from sentemb.losses.angular_triplet import angular_triplet_loss, pairwise_angle


def unit(angle: float) -> torch.Tensor:
    return torch.tensor([math.cos(angle), math.sin(angle)], dtype=torch.float64)


def naive_triplet(triplet, margin):
    total = 0.0
    for s, s1, s2 in triplet:
        t1 = math.acos(float(torch.nn.functional.cosine_similarity(s, s1, dim=0)))
        t2 = math.acos(float(torch.nn.functional.cosine_similarity(s, s2, dim=0)))
        total += max(0.0, t1 - t2 + margin)
    return total / len(triplet)


@pytest.mark.parametrize("margin", [0.0, 0.1, 0.5])
def test_matches_naive_loop(margin):
    torch.manual_seed(0)
    triplet = torch.randn(9, 3, 6, dtype=torch.float64)
    assert angular_triplet_loss(triplet, margin).item() == pytest.approx(naive_triplet(triplet, margin), rel=1e-6)


def test_zero_when_order_holds_by_more_than_margin():
    # theta(s, s') = 0.1, theta(s, s'') = 0.5: the order holds by 0.4 rad
    triplet = torch.stack([torch.stack([unit(0.0), unit(0.1), unit(0.5)]),
                           torch.stack([unit(1.0), unit(1.2), unit(1.9)])])
    assert angular_triplet_loss(triplet, margin=0.0).item() == 0.0
    assert angular_triplet_loss(triplet, margin=0.39).item() == 0.0
    assert angular_triplet_loss(triplet, margin=0.45).item() == pytest.approx((0.05 + 0.0) / 2, abs=1e-9)


def test_positive_when_order_is_violated():
    triplet = torch.stack([unit(0.0), unit(0.6), unit(0.2)]).unsqueeze(0)
    assert angular_triplet_loss(triplet).item() == pytest.approx(0.4, abs=1e-9)


def test_angles_are_in_radians_and_gradients_finite_at_zero():
    a = torch.randn(4, 5, requires_grad=True)
    angle = pairwise_angle(a, a.detach().clone())
    assert angle.max().item() < 1e-2
    triplet = torch.stack([a, a, a], dim=1)
    angular_triplet_loss(triplet, margin=0.1).backward()
    assert torch.isfinite(a.grad).all()
    assert pairwise_angle(unit(0.0)[None], unit(math.pi / 2)[None]).item() == pytest.approx(math.pi / 2, abs=1e-6)


def test_wrong_shape_is_an_error():
    with pytest.raises(ValueError, match=r"\(B, 3, D\)"):
        angular_triplet_loss(torch.randn(4, 2, 8))
