"""VaSCL: Virtual augmentation Supported Contrastive Learning (Zhang et al., 2021, "Virtual Augmentation
Supported Contrastive Learning of Sentence Representations"; code: amazon-science/sentence-representations).

    L = InfoNCE(pairs)                                   the SimCSE term on the sampler's in-batch pairs
      + virtual_weight * L_bi(a, a + eps * d, nbr)       `sentemb.losses.virtual_augment`

where a are the anchors (view 0), nbr their k-neighbourhoods (sampler=knn) and d a unit direction that
makes the virtual augmentation maximally confusing: `adversarial` (released code: random start refined by
one gradient step) or `sampled` (n Gaussian candidates, the most confusing kept). eps = 0 or
virtual_weight = 0 leaves the SimCSE term alone (the released code skips the term when eps = 0).

Differences from the released code, on purpose: the SimCSE term is this project's InfoNCE (anchors view 0,
candidates view 1) instead of the symmetric NT-Xent over both views; there is no separate 128-d
contrastive head: the perturbation acts on the embeddings the loss receives (mean-pooled with
conf/model/vascl.yaml) and the virtual term's gradient reaches the encoder through the anchors (the
released code detaches them, so only its head learns from the term). The direction d is a constant.
"""

from __future__ import annotations

from torch import Tensor, nn

from sentemb.errors import SettingError
from sentemb.losses.infonce import InfoNCELoss, check_temperature
from sentemb.losses.virtual_augment import (
    adversarial_direction,
    bi_neighbourhood_loss,
    random_unit,
    sampled_direction,
)
from sentemb.samplers.pairs import ContrastivePairs

PERTURBATIONS = ("adversarial", "sampled")


class VaSCLLoss(nn.Module):
    """ContrastivePairs with `neighbours` (sampler=knn) -> scalar.

    Args:
        temperature: > 0, for every term (released code: 0.05).
        eps: >= 0, norm of the virtual perturbation in the embedding space the loss receives.
        perturbation: "adversarial" or "sampled".
        xi: norm of the probe in the adversarial step (released code: xi = eps); None = eps.
        n_samples: candidates for "sampled".
        virtual_weight: >= 0, weight of the virtual-augmentation term (released code: 1).
    """

    config_name = "vascl"
    consumes = frozenset({"negative_weight", "tau_plus", "neighbours"})
    requires = frozenset({"neighbours"})

    def __init__(self, temperature: float = 0.05, eps: float = 1.0, perturbation: str = "adversarial",
                 xi: float | None = None, n_samples: int = 16, virtual_weight: float = 1.0):
        super().__init__()
        self.temperature = check_temperature(temperature)
        if not eps >= 0:
            raise SettingError(f"loss.eps must be >= 0, got {eps}")
        if perturbation not in PERTURBATIONS:
            raise SettingError(f"loss.perturbation must be one of {PERTURBATIONS}, got {perturbation!r}")
        if xi is not None and not xi > 0:
            raise SettingError(f"loss.xi must be > 0 or null (= loss.eps), got {xi}")
        if int(n_samples) != n_samples or n_samples < 1:
            raise SettingError(f"loss.n_samples must be a positive integer, got {n_samples}")
        if not virtual_weight >= 0:
            raise SettingError(f"loss.virtual_weight must be >= 0, got {virtual_weight}")
        self.eps, self.perturbation, self.xi = float(eps), perturbation, xi
        self.n_samples, self.virtual_weight = int(n_samples), float(virtual_weight)
        self.info_nce = InfoNCELoss(temperature)

    def direction(self, anchors: Tensor, neighbours: Tensor) -> Tensor:
        """(B, D) unit directions of the virtual augmentations (no gradient)."""
        if self.perturbation == "adversarial":
            xi = self.eps if self.xi is None else self.xi
            return adversarial_direction(anchors, neighbours, self.temperature, xi, random_unit(anchors))
        return sampled_direction(anchors, neighbours, self.temperature, self.eps, self.n_samples)

    def virtual_term(self, pairs: ContrastivePairs) -> Tensor:
        if pairs.neighbours is None:
            raise SettingError("loss=vascl needs the sampler's neighbourhoods: use sampler=knn")
        anchors = pairs.anchors
        virtual = anchors + self.eps * self.direction(anchors, pairs.neighbours).detach()
        return bi_neighbourhood_loss(anchors, virtual, pairs.neighbours, self.temperature)

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        loss = self.info_nce(pairs)
        if self.eps == 0 or self.virtual_weight == 0:
            return loss
        return loss + self.virtual_weight * self.virtual_term(pairs)


__all__ = ["PERTURBATIONS", "VaSCLLoss"]
