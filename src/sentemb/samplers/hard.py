"""Hard negatives (HCL; Robinson et al., "Contrastive Learning with Hard Negative Samples", ICLR 2021).

In-batch pairs whose negatives are reweighted by their similarity to the anchor, as in the authors' code
(joshr17/HCL image/main.py, estimator='hard'):

    imp_ij = exp(beta * s_ij / tau)           s = cosine, tau = the loss temperature, j a negative of i
    w_ij   = imp_ij / mean_{j' negative of i} imp_ij'

so the weights of each anchor's negatives average 1, and harder (more similar) negatives count more. The
weights carry gradients, as in the reference code. Combined with DCL's correction through tau_plus; with
beta = 0 every weight is exactly 1 and the loss is DCL's exactly (tau_plus = 0 too: plain InfoNCE).

Layout (`anchors`) as sampler=debiased: all_views (default; HCL image/main.py:30-45: 2B anchors, each
weighting its 2B - 2 negatives) or first_view (B anchors, B - 1 negatives, NLI triplets too). Temperature:
`sampler=hard` with `loss=infonce` sets loss.temperature to its own default
(conf/sampler/loss/hard_infonce.yaml), as DCL's clamp binds for most anchors at SimCSE's 0.05.
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor

from sentemb.bases import SamplerBase
from sentemb.errors import SettingError
from sentemb.samplers.debiased import check_anchors, check_tau_plus, layout_pairs
from sentemb.samplers.pairs import ContrastivePairs


class HardNegativeSampler(SamplerBase):
    """embeddings (B, V, D) -> in-batch `ContrastivePairs` with HCL weights (N, M) and `tau_plus`.

    beta >= 0: concentration on hard negatives (HCL code default 1.0); tau_plus in [0, 1) (default 0.1);
    temperature > 0: the tau of s / tau in the weights; conf/sampler/hard.yaml takes it from
    loss.temperature. anchors: "all_views" (HCL's layout, default) | "first_view".
    """

    config_name = "hard"
    uses_text_ids = True  # to refuse the all-views layout on batches whose views are different texts

    def __init__(self, beta: float = 1.0, tau_plus: float = 0.1, temperature: float | None = 0.05,
                 anchors: str = "all_views"):
        if not beta >= 0:
            raise SettingError(f"sampler.beta must be >= 0, got {beta}")
        if temperature is not None and not temperature > 0:
            raise SettingError(f"sampler.temperature must be > 0 (conf/sampler/hard.yaml takes it from "
                             f"loss.temperature; set it when the loss has none), got {temperature}")
        self.beta = float(beta)
        self.tau_plus = check_tau_plus(tau_plus)
        self.temperature = None if temperature is None else float(temperature)
        self.anchors = check_anchors(anchors)

    @property
    def missing_temperature(self) -> bool:
        """True when no tau was given (the loss has none to share): refused by the start-up check."""
        return self.temperature is None

    @property
    def produces(self) -> dict[str, str]:
        """Optional ContrastivePairs fields this sampler fills -> the setting that asks for them."""
        out = {"negative_weight": f"sampler.beta={self.beta}"}
        if self.tau_plus > 0:
            out["tau_plus"] = f"sampler.tau_plus={self.tau_plus}"
        return out

    def weights(self, pairs: ContrastivePairs) -> Tensor:
        """(N, M) HCL weights: exp(beta s / tau) normalised by its mean over each anchor's negatives (the
        non-positive candidates of weight > 0); other candidates keep their weight (1 when none is given:
        positives, which the loss ignores; 0 for the anchor itself in the all-views layout)."""
        negatives = ~pairs.positive_mask
        base = torch.ones_like(pairs.positive_mask, dtype=pairs.anchors.dtype)
        if pairs.negative_weight is not None:
            negatives = negatives & (pairs.negative_weight > 0)
            base = pairs.negative_weight
        scaled = self.beta * pairs.cosine() / self.temperature
        # shift by the row max for range; with beta = 0 every term is exp(0) = 1 exactly
        shift = scaled.detach().masked_fill(~negatives, float("-inf")).max(dim=1, keepdim=True).values
        shift = torch.nan_to_num(shift, neginf=0.0)  # an anchor without negatives
        imp = torch.exp(scaled - shift).masked_fill(~negatives, 0.0)
        mean = imp.sum(1, keepdim=True) / negatives.sum(1, keepdim=True).clamp(min=1)
        return torch.where(negatives, imp / mean.clamp(min=torch.finfo(imp.dtype).tiny), base.to(imp.dtype))

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None,
                 text_ids: Tensor | None = None) -> ContrastivePairs:
        pairs = layout_pairs(embeddings, self.anchors, text_ids)
        return replace(pairs, negative_weight=self.weights(pairs), tau_plus=self.tau_plus)
