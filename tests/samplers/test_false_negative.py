"""sampler=false_negative: detection (same text, label, top-k, threshold), eliminate / attract, bases, refusals."""

from __future__ import annotations

import math

import pytest
import torch

from sentemb.losses.debiased import debiased_info_nce
from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.false_negative import FalseNegativeSampler
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.label import LabelSampler
from sentemb.samplers.pairs import ContrastivePairs

TAU = 0.05


def naive_info_nce(anchor, candidates, positives, removed=(), tau=TAU) -> float:
    """One anchor (D,), candidates (M, D): mean over positives p of -log(e^{s_p} / sum_{j not removed} e^{s_j})."""
    cos = [float(torch.nn.functional.cosine_similarity(anchor, c, dim=0)) / tau for c in candidates]
    denominator = sum(math.exp(s) for j, s in enumerate(cos) if j not in removed)
    return sum(-math.log(math.exp(cos[p]) / denominator) for p in positives) / len(positives)


def row(pairs: ContrastivePairs, i: int) -> ContrastivePairs:
    """The pairs of anchor i alone (its per-anchor loss)."""
    weight = None if pairs.negative_weight is None else pairs.negative_weight[i:i + 1]
    return ContrastivePairs(pairs.anchors[i:i + 1], pairs.candidates, pairs.positive_mask[i:i + 1], weight,
                            tau_plus=pairs.tau_plus)


def duplicate_batch():
    """6 rows, rows 0, 3 and 5 the same text (identical embeddings, as without dropout) -> (emb, text_ids)."""
    torch.manual_seed(0)
    emb = torch.randn(6, 2, 16)
    emb[3], emb[5] = emb[0], emb[0]
    ids = torch.tensor([10, 11, 12, 10, 14, 10]).unsqueeze(1).expand(6, 2)
    return emb, ids


def test_exact_duplicates_are_flagged_and_removed():
    emb, ids = duplicate_batch()
    pairs = FalseNegativeSampler(same_label=False)(emb, None, text_ids=ids)
    flagged = pairs.negative_weight == 0
    expected = torch.zeros(6, 6, dtype=torch.bool)
    for i, j in [(0, 3), (0, 5), (3, 0), (3, 5), (5, 0), (5, 3)]:
        expected[i, j] = True
    assert torch.equal(flagged, expected) and torch.equal(pairs.positive_mask, torch.eye(6, dtype=torch.bool))
    assert pairs.stats == {"false_negatives": 6.0, "false_negative_rate": 6 / 30}
    # the loss of each copy = its term of InfoNCE on the de-duplicated batch (rows 0, 1, 2, 4)
    unique = [0, 1, 2, 4]
    dedup = InBatchSampler()(emb[unique])
    loss = InfoNCELoss(TAU)
    for i in (0, 3, 5):
        torch.testing.assert_close(loss(row(pairs, i)), loss(row(dedup, 0)))
    # dedupe=true also drops the later copies as anchors and as others' negatives: the batch loss then
    # equals InfoNCE on the de-duplicated batch
    deduped = FalseNegativeSampler(same_label=False, dedupe=True)(emb, None, text_ids=ids)
    assert deduped.stats["duplicates_removed"] == 2 and deduped.stats["false_negatives"] == 6
    torch.testing.assert_close(loss(deduped), loss(dedup))
    # the same in the SupCon layout (all views are anchors)
    sampler = FalseNegativeSampler(anchors="all_views", same_label=False, dedupe=True)
    plain = FalseNegativeSampler(anchors="all_views", same_label=False)
    torch.testing.assert_close(loss(sampler(emb, None, text_ids=ids)), loss(plain(emb[unique], None, ids[unique])))
    # the whole batch against a naive loop that drops each anchor's duplicates from its denominator
    reference = sum(naive_info_nce(emb[i, 0], emb[:, 1], [i], [j for j in range(6) if expected[i, j]])
                    for i in range(6)) / 6
    assert loss(pairs).item() == pytest.approx(reference, rel=1e-5)


def test_without_duplicates_nothing_is_flagged_and_the_loss_is_infonce():
    emb = torch.randn(5, 2, 8)
    ids = torch.arange(5).unsqueeze(1).expand(5, 2)
    pairs = FalseNegativeSampler()(emb, torch.arange(5), text_ids=ids)
    assert pairs.stats["false_negatives"] == 0
    torch.testing.assert_close(InfoNCELoss(TAU)(pairs), InfoNCELoss(TAU)(InBatchSampler()(emb)))


def test_attract_equals_supcon_when_flagged_sets_are_the_label_groups():
    torch.manual_seed(1)
    emb, labels = torch.randn(8, 2, 16), torch.tensor([0, 1, 0, 2, 1, 0, 3, 2])
    fn = FalseNegativeSampler(mode="attract", anchors="all_views", same_text=False, same_label=True)
    pairs, supcon = fn(emb, labels), LabelSampler()(emb, labels)
    assert torch.equal(pairs.positive_mask, supcon.positive_mask)
    loss = InfoNCELoss(0.1)
    torch.testing.assert_close(loss(pairs), loss(supcon))


def test_attract_first_view_makes_flagged_extra_positives():
    emb, ids = duplicate_batch()
    pairs = FalseNegativeSampler(mode="attract", same_label=False)(emb, None, text_ids=ids)
    assert pairs.positive_mask[0].nonzero().flatten().tolist() == [0, 3, 5]
    assert bool((pairs.negative_weight == 1).all())
    reference = sum(naive_info_nce(emb[i, 0], emb[:, 1], pairs.positive_mask[i].nonzero().flatten().tolist())
                    for i in range(6)) / 6
    assert InfoNCELoss(TAU)(pairs).item() == pytest.approx(reference, rel=1e-5)


def hand_built():
    """4 anchors in 2-D; view 1 = view 0. Nearest other of 0 is 1 (cos 0.8), of 2 is 3 (cos 0.9)."""
    a = torch.tensor([[1.0, 0.0], [0.8, 0.6], [-1.0, 0.05], [-0.9, -0.4]])
    return torch.stack([a, a], dim=1)


def test_top_k_detection_on_a_hand_built_batch():
    emb = hand_built()
    pairs = FalseNegativeSampler(same_text=False, same_label=False, top_k=1)(emb)
    flagged = (pairs.negative_weight == 0).nonzero().tolist()
    assert flagged == [[0, 1], [1, 0], [2, 3], [3, 2]]
    pairs = FalseNegativeSampler(same_text=False, same_label=False, top_k=2)(emb)
    assert (pairs.negative_weight[0] == 0).nonzero().flatten().tolist() == [1, 3]  # cos(0, 3) = -0.91 > -1.0
    assert pairs.stats["false_negatives"] == 8


def test_threshold_detection_and_no_gradient_through_detection():
    emb = hand_built().requires_grad_()
    pairs = FalseNegativeSampler(same_text=False, same_label=False, threshold=0.85)(emb)
    assert (pairs.negative_weight == 0).nonzero().tolist() == [[2, 3], [3, 2]]
    assert not pairs.negative_weight.requires_grad and not pairs.positive_mask.requires_grad


def test_label_detection_and_nli_triplets():
    """Triplets: candidates = (entailments, contradictions); the entailment of row 2 is row 0's text."""
    emb = torch.randn(3, 3, 8)
    ids = torch.tensor([[1, 2, 3], [4, 5, 6], [7, 1, 9]])
    pairs = FalseNegativeSampler(same_label=False)(emb, None, text_ids=ids)
    assert pairs.candidates.shape == (6, 8)
    assert (pairs.negative_weight == 0).nonzero().tolist() == [[0, 2]]
    pairs = FalseNegativeSampler(same_text=False)(emb, torch.tensor([0, 1, 0]), text_ids=ids)
    # anchor 0 shares row 2's label: row 2's entailment is flagged, its contradiction (5) is not (and vice versa)
    assert (pairs.negative_weight == 0).nonzero().tolist() == [[0, 2], [2, 0]]
    # labelled views (every view the row's text) carry the label in every view, the row's own third view too
    same = torch.tensor([[1, 1, 1], [4, 4, 4], [7, 7, 7]])
    pairs = FalseNegativeSampler(same_text=False)(emb, torch.tensor([0, 1, 0]), text_ids=same)
    flagged = (pairs.negative_weight == 0).nonzero().tolist()
    assert flagged == [[0, 2], [0, 3], [0, 5], [1, 4], [2, 0], [2, 3], [2, 5]]


def test_eliminate_with_debiased_base_is_dcl_without_the_flagged():
    emb, ids = duplicate_batch()
    pairs = FalseNegativeSampler(base="debiased", tau_plus=0.1, same_label=False)(emb, None, text_ids=ids)
    assert pairs.tau_plus == 0.1
    plain = InBatchSampler()(emb)
    weight = torch.ones(6, 6).masked_fill(pairs.negative_weight == 0, 0.0)
    expected = debiased_info_nce(plain.cosine() / TAU, plain.positive_mask, weight, 0.1, TAU)
    torch.testing.assert_close(InfoNCELoss(TAU)(pairs), expected)
    hard0 = FalseNegativeSampler(base="hard", beta=0.0, tau_plus=0.1, same_label=False, temperature=TAU)
    torch.testing.assert_close(InfoNCELoss(TAU)(hard0(emb, None, text_ids=ids)), expected)


def test_hard_base_weights_average_one_over_the_remaining_negatives():
    emb, ids = duplicate_batch()
    for mode in ("eliminate", "attract"):
        sampler = FalseNegativeSampler(mode=mode, base="hard", beta=1.0, tau_plus=0.0 if mode == "attract" else 0.1,
                                       same_label=False, temperature=TAU)
        pairs = sampler(emb, None, text_ids=ids)
        kept = ~pairs.positive_mask & (pairs.negative_weight > 0)
        if mode == "eliminate":
            kept &= ~((ids[:, :1] == ids[:, 0].unsqueeze(0)) & ~torch.eye(6, dtype=torch.bool))
        means = (pairs.negative_weight * kept).sum(1) / kept.sum(1)
        torch.testing.assert_close(means, torch.ones(6))


@pytest.mark.parametrize("kwargs,match", [
    ({"mode": "attract", "base": "debiased"}, "mode=attract with sampler.base=debiased"),
    ({"mode": "attract", "base": "hard"}, "base=hard with sampler.tau_plus=0"),
    ({"tau_plus": 0.1}, "base=in_batch uses neither"),
    ({"base": "debiased", "beta": 1.0}, "HCL's setting"),
    ({"same_text": False, "same_label": False}, "detects nothing"),
    ({"mode": "remove"}, "sampler.mode"),
    ({"mode": "attract", "dedupe": True}, "sampler.dedupe"),
    ({"top_k": -1}, "sampler.top_k"),
    ({"threshold": 1.5}, "sampler.threshold"),
])
def test_settings_that_do_not_make_sense_are_refused(kwargs, match):
    with pytest.raises(ValueError, match=match):
        FalseNegativeSampler(**kwargs)


def test_refusals_at_call_time():
    with pytest.raises(ValueError, match="Batch.text_ids"):
        FalseNegativeSampler()(torch.randn(4, 2, 8))
    ids = torch.tensor([[1, 2, 3], [4, 5, 6]])
    with pytest.raises(ValueError, match="anchors=first_view"):
        FalseNegativeSampler(anchors="all_views")(torch.randn(2, 3, 8), None, text_ids=ids)
    with pytest.raises(ValueError, match="integer class labels"):
        FalseNegativeSampler(same_text=False)(torch.randn(2, 2, 8), torch.tensor([0.5, 1.0]))


def test_compat_and_min_batch_size():
    from sentemb.methods.vascl import VaSCLLoss
    from sentemb.samplers.compat import IncompatibleConfigError, check_compatible

    sampler = FalseNegativeSampler(top_k=4, base="debiased")
    assert set(sampler.produces) == {"negative_weight", "tau_plus"}
    check_compatible(InfoNCELoss(), sampler, batch_size=6)
    with pytest.raises(IncompatibleConfigError, match="data.batch_size >= 6"):
        check_compatible(InfoNCELoss(), sampler, batch_size=5)
    with pytest.raises(IncompatibleConfigError, match="sampler=false_negative"):
        check_compatible(VaSCLLoss(), sampler)
