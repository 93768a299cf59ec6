"""Debiased negatives (DCL; Chuang et al., "Debiased Contrastive Learning", NeurIPS 2020).

In-batch pairs marked with the class prior tau_plus: the chance that an in-batch "negative" shares the
anchor's class. The loss then replaces the negative term by DCL's estimator (`sentemb.losses.debiased`);
tau_plus = 0 leaves plain InfoNCE.

Layout (`anchors`): all_views (default) as the authors' code, chingyaoc/DCL main.py:35-47: both views of
every example are anchors (2B anchors), each with the other view as positive and the 2B - 2 other embeddings
as negatives (N = 2B - 2 in the estimator). first_view: view 0 only (B anchors, B - 1 negatives; the
in_batch layout, which also takes NLI triplets).

Temperature: the estimator's clamp N e^(-1/tau) binds for most anchors at SimCSE's tau 0.05 (the method then
gives no gradient), so `sampler=debiased` with `loss=infonce` sets loss.temperature to its own default
(conf/sampler/loss/debiased_infonce.yaml; experiments/dcl_hcl_layout/README.md); the loss logs the clamped
share as train/sampler/clamped and warns when the clamp binds for most anchors of the first batches.
"""

from __future__ import annotations

from dataclasses import replace

from torch import Tensor

from sentemb.bases import SamplerBase
from sentemb.errors import SettingError
from sentemb.samplers.in_batch import ANCHORS, InBatchSampler, all_views_pairs, check_views_share_text
from sentemb.samplers.pairs import ContrastivePairs


def check_tau_plus(tau_plus: float) -> float:
    if not 0.0 <= tau_plus < 1.0:
        raise SettingError(f"sampler.tau_plus must be in [0, 1), got {tau_plus}")
    return float(tau_plus)


def check_anchors(anchors: str) -> str:
    if anchors not in ANCHORS:
        raise ValueError(f"sampler.anchors must be one of {ANCHORS}, got {anchors!r}")
    return anchors


def layout_pairs(embeddings: Tensor, anchors: str, text_ids: Tensor | None) -> ContrastivePairs:
    """embeddings (B, V, D) -> the in-batch pairs of layout `anchors` (all_views: anchor itself weighted 0)."""
    if anchors == "first_view":
        return InBatchSampler()(embeddings)
    check_views_share_text(text_ids, "sampler.anchors=all_views")
    return all_views_pairs(embeddings)


class DebiasedSampler(SamplerBase):
    """embeddings (B, V, D) -> in-batch `ContrastivePairs` with `tau_plus` set (DCL's code default: 0.1).

    anchors: "all_views" (DCL's layout, default) | "first_view" (see the module).
    """

    config_name = "debiased"
    uses_text_ids = True  # to refuse the all-views layout on batches whose views are different texts

    def __init__(self, tau_plus: float = 0.1, anchors: str = "all_views"):
        self.tau_plus = check_tau_plus(tau_plus)
        self.anchors = check_anchors(anchors)

    @property
    def produces(self) -> dict[str, str]:
        """Optional ContrastivePairs fields this sampler fills -> the setting that asks for them."""
        out = {"tau_plus": f"sampler.tau_plus={self.tau_plus}"} if self.tau_plus > 0 else {}
        if self.anchors == "all_views":
            out["negative_weight"] = "sampler.anchors=all_views leaves each anchor's similarity to itself out"
        return out

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None,
                 text_ids: Tensor | None = None) -> ContrastivePairs:
        return replace(layout_pairs(embeddings, self.anchors, text_ids), tau_plus=self.tau_plus)
