import math

import pytest
import torch

from sentemb.samplers.knn import KnnSampler, nearest_neighbours


def on_circle(degrees):
    """(B, 2) unit vectors at the given angles, scaled differently (cosine must ignore the norms)."""
    rad = torch.tensor(degrees, dtype=torch.float64) * math.pi / 180
    scale = torch.arange(1, len(degrees) + 1, dtype=torch.float64).unsqueeze(1)
    return torch.stack([rad.cos(), rad.sin()], dim=1) * scale


def test_neighbourhoods_of_a_hand_built_batch():
    # angles 0, 10, 30, 100, 180, 200 (degrees): cosine neighbours follow angular distance
    anchors = on_circle([0, 10, 30, 100, 180, 200])
    nbr = nearest_neighbours(anchors, 2)
    expected = [[1, 2], [0, 2], [1, 0], [2, 4], [5, 3], [4, 3]]  # 100: 70 deg to 30, 80 to 180
    assert nbr.tolist() == expected


def test_sampler_returns_in_batch_pairs_and_neighbours_of_view_zero():
    anchors = on_circle([0, 10, 30, 100, 180, 200])
    other = torch.randn(6, 2, dtype=torch.float64)  # view 1 must not change the neighbourhood
    pairs = KnnSampler(k=1)(torch.stack([anchors, other], dim=1))
    assert pairs.neighbours.tolist() == [[1], [0], [1], [2], [5], [4]]
    assert torch.equal(pairs.positive_mask, torch.eye(6, dtype=torch.bool))
    assert pairs.tau_plus == 0.0 and pairs.negative_weight is None


def test_a_short_batch_uses_all_others():
    pairs = KnnSampler(k=16)(torch.randn(5, 2, 8))
    assert pairs.neighbours.shape == (5, 4)
    for i, row in enumerate(pairs.neighbours.tolist()):
        assert sorted(row) == [j for j in range(5) if j != i]


def test_neighbours_carry_no_gradient_and_need_no_grad():
    emb = torch.randn(6, 2, 4, requires_grad=True)
    pairs = KnnSampler(k=3)(emb)
    assert not pairs.neighbours.requires_grad and pairs.neighbours.dtype == torch.long


@pytest.mark.parametrize("k", [0, -1, 2.5])
def test_k_must_be_a_positive_integer(k):
    with pytest.raises(ValueError, match="sampler.k must be a positive integer"):
        KnnSampler(k)
