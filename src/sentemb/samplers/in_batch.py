"""In-batch negatives (SimCSE; Gao et al., 2021): every other sentence in the batch is a negative."""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.bases import SamplerBase
from sentemb.errors import SettingError
from sentemb.samplers.pairs import ContrastivePairs


class InBatchSampler(SamplerBase):
    """Anchors are view 0; candidates are views 1..V-1 stacked view by view.

    embeddings: (B, V, D) with V >= 2. For dropout pairs (V=2) the positive of anchor i is candidate i;
    for NLI triplets (V=3) the candidates are (B entailments, B contradictions): the contradictions are
    negatives of every anchor, as in supervised SimCSE.
    """

    config_name = "in_batch"

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None) -> ContrastivePairs:
        b, v, _ = embeddings.shape
        if v < 2:
            raise SettingError(f"sampler=in_batch needs at least 2 views per example, got {v}")
        candidates = embeddings[:, 1:].transpose(0, 1).reshape(b * (v - 1), -1)
        positive = torch.zeros(b, b * (v - 1), dtype=torch.bool, device=embeddings.device)
        positive[:, :b] = torch.eye(b, dtype=torch.bool, device=embeddings.device)
        return ContrastivePairs(embeddings[:, 0], candidates, positive)


ANCHORS = ("first_view", "all_views")


def all_views_pairs(embeddings: Tensor) -> ContrastivePairs:
    """Every view is an anchor (SimCLR's NT-Xent layout, as DCL and HCL take it: chingyaoc/DCL main.py:35-38,
    joshr17/HCL image/main.py:30-34).

    embeddings (B, V, D) -> anchors = candidates = the B*V embeddings stacked view by view (row v*B + b is view
    v of example b); the other views of an example are its positives, every other embedding a negative, and
    the anchor itself is left out (negative_weight 0 on the diagonal). With V = 2: 2B anchors, 2B-2 negatives.
    """
    b, v, _ = embeddings.shape
    if v < 2:
        raise ValueError(f"the all-views layout needs at least 2 views per example, got {v}")
    flat = embeddings.transpose(0, 1).reshape(b * v, -1)
    example = torch.arange(b, device=embeddings.device).repeat(v)
    eye = torch.eye(b * v, dtype=torch.bool, device=embeddings.device)
    positive = (example.unsqueeze(1) == example.unsqueeze(0)) & ~eye
    return ContrastivePairs(flat, flat, positive, (~eye).to(embeddings.dtype))


def check_views_share_text(text_ids: Tensor | None, setting: str) -> None:
    """Refuse the all-views layout for batches whose views are different texts (NLI triplets: a contradiction
    would become a positive). text_ids (B, V) or None (not known: nothing to check)."""
    if text_ids is not None and bool((text_ids != text_ids[:, :1]).any()):
        raise ValueError(f"{setting} makes every view of an example a positive, but these batches have views of "
                         "different texts (NLI triplets?): use sampler.anchors=first_view")
