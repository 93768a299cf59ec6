import pytest
import torch

from sentemb.samplers.knn import KnnSampler, nearest_neighbours


def release_hard_indices(anchors, k):
    """VaSCL/models/Transformers.py:29-35: top-k inner products with the diagonal removed; returned here as
    indices into the batch (the release keeps them in the diagonal-free coordinates of its loss)."""
    b = anchors.shape[0]
    inner = (anchors @ anchors.T).masked_select(~torch.eye(b, dtype=torch.bool)).view(b, -1)
    idx = inner.topk(k, dim=-1).indices
    return idx + (idx >= torch.arange(b).unsqueeze(1))


def test_neighbourhoods_of_a_hand_built_batch_rank_by_inner_product():
    # the norms count, as released: (3, 0) is nearer to (1, 0) than (1, 0.1) is, though its cosine is lower
    anchors = torch.tensor([[1.0, 0.0], [1.0, 0.1], [3.0, -1.0], [-1.0, 0.5], [0.0, 1.0]], dtype=torch.float64)
    nbr = nearest_neighbours(anchors, 2)
    assert nbr.tolist() == [[2, 1], [2, 0], [0, 1], [4, 1], [3, 1]]
    # a cosine ranking would differ: row 0's nearest by cosine is row 1
    cos = torch.nn.functional.normalize(anchors, dim=-1)
    assert (cos[0] @ cos[1]) > (cos[0] @ cos[2])


@pytest.mark.parametrize("seed", range(3))
def test_neighbours_are_the_releases(seed):
    anchors = torch.randn(12, 6, generator=torch.Generator().manual_seed(seed), dtype=torch.float64) * torch.rand(
        12, 1, generator=torch.Generator().manual_seed(seed + 10), dtype=torch.float64)
    assert torch.equal(nearest_neighbours(anchors, 4), release_hard_indices(anchors, 4))


def test_sampler_returns_in_batch_pairs_and_neighbours_of_view_zero():
    anchors = torch.tensor([[1.0, 0.0], [1.0, 0.1], [3.0, -1.0], [-1.0, 0.5], [0.0, 1.0]], dtype=torch.float64)
    other = torch.randn(5, 2, dtype=torch.float64)  # view 1 must not change the neighbourhood
    pairs = KnnSampler(k=1)(torch.stack([anchors, other], dim=1))
    assert pairs.neighbours.tolist() == [[2], [2], [0], [4], [3]]
    assert torch.equal(pairs.positive_mask, torch.eye(5, dtype=torch.bool))
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
