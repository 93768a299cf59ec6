"""The contract between samplers and losses."""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor


@dataclass
class ContrastivePairs:
    """Anchors, candidates and which candidate is a positive of which anchor.

    anchors: (N, D) embeddings, one row per anchor.
    candidates: (M, D) embeddings the anchors are compared with (positives, negatives, hard negatives).
    positive_mask: (N, M) bool, True where candidate j is a positive of anchor i.
    negative_weight: (N, M) float >= 0 or None. Weight of each non-positive candidate in the denominator
        (0 removes it, e.g. the anchor itself or a flagged false negative); None means weight 1 for all.
    pair_labels: (N,) labels of the pairs (anchors[i], candidates[i]) or None: NLI class ids (long) or
        similarity scores (float) for pair losses (sbert_softmax, cosine_regression, cosent); set by
        sampler=paired.
    tau_plus: class prior of DCL (Chuang et al., 2020) in [0, 1): the chance that a negative shares the
        anchor's class; > 0 asks the loss for the debiased estimator of the negative term (sampler=debiased,
        sampler=hard). 0 = plain InfoNCE.
    neighbours: (N, k) long or None: row i holds the indices (into `anchors`) of anchor i's k nearest
        in-batch neighbours (VaSCL's neighbourhood; sampler=knn).
    stats: per-step figures of the sampler (name -> float, e.g. "false_negatives": how many negatives it
        flagged), logged by ContrastiveModule as train/<name>; None for none.
    activity: how much each term that can be inert acted this step (name -> share in [0, 1] of its units
        that contributed: anchors off the DCL/HCL floor, hinges > 0, ...; 0 = the term did nothing), logged
        as train/<name>_active and watched for inert terms. Samplers fill it, and so may the loss, which
        receives this same object (e.g. the DCL clamp is applied in the loss). None for none.
    """

    anchors: Tensor
    candidates: Tensor
    positive_mask: Tensor
    negative_weight: Tensor | None = None
    pair_labels: Tensor | None = None
    tau_plus: float = 0.0
    neighbours: Tensor | None = None
    stats: dict[str, float] | None = None
    activity: dict[str, float] | None = None

    def __post_init__(self) -> None:
        n, m = self.anchors.shape[0], self.candidates.shape[0]
        if self.positive_mask.shape != (n, m):
            raise ValueError(f"positive_mask has shape {tuple(self.positive_mask.shape)}, expected ({n}, {m})")
        if self.negative_weight is not None and self.negative_weight.shape != (n, m):
            raise ValueError(f"negative_weight has shape {tuple(self.negative_weight.shape)}, expected ({n}, {m})")
        if self.pair_labels is not None and self.pair_labels.shape != (n,):
            raise ValueError(f"pair_labels has shape {tuple(self.pair_labels.shape)}, expected ({n},)")
        if not 0.0 <= self.tau_plus < 1.0:
            raise ValueError(f"tau_plus must be in [0, 1), got {self.tau_plus}")
        if self.neighbours is not None and (self.neighbours.dim() != 2 or self.neighbours.shape[0] != n):
            raise ValueError(f"neighbours has shape {tuple(self.neighbours.shape)}, expected ({n}, k)")

    def cosine(self) -> Tensor:
        """(N, M) cosine similarities between anchors and candidates."""
        a = torch.nn.functional.normalize(self.anchors, dim=-1)
        c = torch.nn.functional.normalize(self.candidates, dim=-1)
        return a @ c.T
