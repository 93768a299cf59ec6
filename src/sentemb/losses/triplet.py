"""Triplet loss with a margin (Schroff et al., 2015; Sentence-BERT's triplet objective, Reimers & Gurevych
2019, sec. 3):

    loss = max( d(a, p) - d(a, n) + margin, 0 )

with d the euclidean distance (the Sentence-BERT paper: margin 1; the sentence-transformers default is 5)
or the cosine distance 1 - cos (on that 0-2 scale a margin of about 0.5 is usual).

Which (a, p, n) triplets: from `ContrastivePairs`, a = anchor i, p = its positives, n =
    "own":     the anchor's own hard negative (candidate k*N + i of sampler=in_batch on NLI triplets),
               the Sentence-BERT formulation on (anchor, entailment, contradiction);
    "all":     every negative candidate (not positive, weight > 0), averaged over all valid triplets
               (memory N x M x M: meant for small batches);
    "hardest": per anchor the farthest positive and the nearest negative (batch-hard, Hermans et al. 2017).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sentemb.bases import LossBase
from sentemb.errors import SettingError
from sentemb.losses.hard_negatives import own_hard_negative_mask
from sentemb.samplers.pairs import ContrastivePairs

DISTANCES = ("euclidean", "cosine")
NEGATIVES = ("own", "all", "hardest")


def pairwise_distance(anchors: Tensor, candidates: Tensor, distance: str) -> Tensor:
    """(N, D), (M, D) -> (N, M) euclidean distances or cosine distances 1 - cos."""
    if distance == "euclidean":
        return torch.cdist(anchors, candidates, p=2)
    a = nn.functional.normalize(anchors, dim=-1)
    c = nn.functional.normalize(candidates, dim=-1)
    return 1.0 - a @ c.T


class TripletLoss(LossBase):
    """Args: margin (>= 0), distance ("euclidean" | "cosine"), negatives ("own" | "all" | "hardest")."""

    config_name = "triplet"

    def __init__(self, margin: float = 1.0, distance: str = "euclidean", negatives: str = "own"):
        super().__init__()
        if margin < 0:
            raise SettingError(f"loss.margin must be >= 0, got {margin}")
        if distance not in DISTANCES:
            raise SettingError(f"loss.distance must be one of {DISTANCES}, got {distance!r}")
        if negatives not in NEGATIVES:
            raise SettingError(f"loss.negatives must be one of {NEGATIVES}, got {negatives!r}")
        self.margin, self.distance, self.negatives = float(margin), distance, negatives
        self.requires_hard_negatives = f"loss.negatives={negatives}" if negatives == "own" else None

    def _negative_mask(self, pairs: ContrastivePairs) -> Tensor:
        n, m = pairs.positive_mask.shape
        if self.negatives == "own":
            if m == n:
                raise SettingError("loss=triplet with loss.negatives=own needs hard negatives: NLI triplets "
                                 "(data=nli_sample, nli, triplet_csv) with sampler=in_batch; or set "
                                 "loss.negatives=all or hardest for in-batch negatives")
            return own_hard_negative_mask(n, m, pairs.positive_mask.device) & ~pairs.positive_mask
        mask = ~pairs.positive_mask
        if pairs.negative_weight is not None:
            mask = mask & (pairs.negative_weight > 0)
        return mask

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        dist = pairwise_distance(pairs.anchors, pairs.candidates, self.distance)  # (N, M)
        pos, neg = pairs.positive_mask, self._negative_mask(pairs)
        valid_anchor = pos.any(1) & neg.any(1)
        if not bool(valid_anchor.any()):
            raise ValueError("loss=triplet: no anchor has both a positive and a negative in this batch")
        if self.negatives == "hardest":
            d_ap = dist.masked_fill(~pos, float("-inf")).amax(1)
            d_an = dist.masked_fill(~neg, float("inf")).amin(1)
            return torch.relu(d_ap - d_an + self.margin)[valid_anchor].mean()
        # (N, P=M, Q=M): every positive p with every negative q of the same anchor
        terms = torch.relu(dist.unsqueeze(2) - dist.unsqueeze(1) + self.margin)
        valid = pos.unsqueeze(2) & neg.unsqueeze(1)
        return terms[valid].mean()
