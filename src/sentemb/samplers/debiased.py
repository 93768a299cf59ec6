"""Debiased negatives (DCL; Chuang et al., "Debiased Contrastive Learning", NeurIPS 2020).

In-batch pairs as `InBatchSampler`, marked with the class prior tau_plus: the chance that an in-batch
"negative" shares the anchor's class. The loss then replaces the negative term by DCL's estimator
(`sentemb.losses.debiased`); tau_plus = 0 leaves plain InfoNCE.
"""

from __future__ import annotations

from dataclasses import replace

from torch import Tensor

from sentemb.errors import SettingError
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.pairs import ContrastivePairs


def check_tau_plus(tau_plus: float) -> float:
    if not 0.0 <= tau_plus < 1.0:
        raise SettingError(f"sampler.tau_plus must be in [0, 1), got {tau_plus}")
    return float(tau_plus)


class DebiasedSampler:
    """embeddings (B, V, D) -> in-batch `ContrastivePairs` with `tau_plus` set (DCL's code default: 0.1)."""

    config_name = "debiased"

    def __init__(self, tau_plus: float = 0.1):
        self.tau_plus = check_tau_plus(tau_plus)
        self.in_batch = InBatchSampler()

    @property
    def produces(self) -> dict[str, str]:
        """Optional ContrastivePairs fields this sampler fills -> the setting that asks for them."""
        return {"tau_plus": f"sampler.tau_plus={self.tau_plus}"} if self.tau_plus > 0 else {}

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None) -> ContrastivePairs:
        return replace(self.in_batch(embeddings, labels), tau_plus=self.tau_plus)
