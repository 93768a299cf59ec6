import pytest
import torch

from sentemb.samplers.in_batch import InBatchSampler


def test_dropout_pairs_positive_is_the_other_view():
    emb = torch.arange(4 * 2 * 3, dtype=torch.float32).view(4, 2, 3)
    pairs = InBatchSampler()(emb)
    torch.testing.assert_close(pairs.anchors, emb[:, 0])
    torch.testing.assert_close(pairs.candidates, emb[:, 1])
    assert torch.equal(pairs.positive_mask, torch.eye(4, dtype=torch.bool))


def test_triplets_put_hard_negatives_after_positives():
    emb = torch.randn(3, 3, 5)
    pairs = InBatchSampler()(emb)
    assert pairs.candidates.shape == (6, 5)
    torch.testing.assert_close(pairs.candidates[3:], emb[:, 2])
    assert pairs.positive_mask[:, 3:].sum() == 0 and pairs.positive_mask[:, :3].diagonal().all()


def test_one_view_is_refused():
    with pytest.raises(ValueError, match="at least 2 views"):
        InBatchSampler()(torch.randn(4, 1, 5))
