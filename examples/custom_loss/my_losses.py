"""A loss defined outside sentemb: InfoNCE with an additive margin on the positive (AM-softmax).

Yang et al., "Improving Multilingual Sentence Embedding using Bi-directional Dual Encoder with Additive
Margin Softmax", IJCAI 2019, eq. 3: for anchor i with positive p and cosine similarities s,

    L_i = -log( exp((s_ip - m) / tau) / ( exp((s_ip - m) / tau) + sum_{j != p} exp(s_ij / tau) ) )

m = 0 is SimCSE's InfoNCE. It meets `sentemb.contracts.Loss`: it subclasses `LossBase` (an nn.Module with the
defaults of the contract's other members) and its forward takes the sampler's `ContrastivePairs` and returns a
scalar; it reuses sentemb's multi-positive cross-entropy for the rest.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.contracts import ContrastivePairs, LossBase
from sentemb.losses.infonce import multi_positive_info_nce


class AdditiveMarginInfoNCE(LossBase):
    """InfoNCE whose positive logits are lowered by margin/temperature; pairs (N, M) -> scalar."""

    config_name = "am_infonce"  # names this option in sentemb's start-up checks
    consumes = frozenset({"negative_weight"})  # the optional ContrastivePairs fields it reads

    def __init__(self, temperature: float = 0.05, margin: float = 0.1):
        super().__init__()
        if not temperature > 0:
            raise ValueError(f"loss.temperature must be > 0, got {temperature}")
        if not 0 <= margin < 2:
            raise ValueError(f"loss.margin must be in [0, 2) (a cosine margin), got {margin}")
        self.temperature, self.margin = float(temperature), float(margin)

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        cosine = pairs.cosine()
        logits = (cosine - self.margin * pairs.positive_mask.to(cosine.dtype)) / self.temperature
        # informative figure, logged as train/am_within_margin: the share of anchors that have a negative
        # closer than (positive - margin), i.e. the anchors the margin still pushes on
        with torch.no_grad():
            positive = cosine.masked_fill(~pairs.positive_mask, float("inf")).min(dim=1).values
            negatives = ~pairs.positive_mask
            if pairs.negative_weight is not None:  # weight 0 removes a candidate (e.g. a flagged false negative)
                negatives = negatives & (pairs.negative_weight > 0)
            negative = cosine.masked_fill(~negatives, float("-inf")).max(dim=1).values
            within = (negative > positive - self.margin).float().mean().item()
        pairs.stats = {**(pairs.stats or {}), "am_within_margin": within}
        return multi_positive_info_nce(logits, pairs.positive_mask, pairs.negative_weight)
