"""The triple-wise (partial-order) loss of ArcCSE in angular space.

ArcCSE (Zhang et al., ACL 2022), eq. 5: for a sentence s, s' (one span of s masked) and s'' (a wider span
masked, containing the first), s entails s' and s' entails s'', so s should be closer to s' than to s'':

    L_tri = mean_i max(0, theta(s_i, s'_i) - theta(s_i, s''_i) + margin)

with theta the angle between the normalised embeddings (radians).
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.losses.arccon import clamped_arccos


def pairwise_angle(a: Tensor, b: Tensor, eps: float = 1e-6) -> Tensor:
    """Row-wise angle in radians between a (N, D) and b (N, D) -> (N,); finite gradients at angle 0."""
    cosine = torch.nn.functional.cosine_similarity(a, b, dim=-1)
    return clamped_arccos(cosine, eps)


def angular_triplet_loss(triplet: Tensor, margin: float = 0.0, eps: float = 1e-6) -> Tensor:
    """triplet: (B, 3, D) embeddings of (s, s', s'') -> scalar mean hinge over the batch.

    Zero for every example whose order already holds by more than `margin`:
    theta(s, s'') - theta(s, s') > margin.
    """
    if triplet.dim() != 3 or triplet.shape[1] != 3:
        raise ValueError(f"the triplet term needs embeddings of shape (B, 3, D), got {tuple(triplet.shape)}")
    anchor, nearer, farther = triplet.unbind(1)
    gap = pairwise_angle(anchor, nearer, eps) - pairwise_angle(anchor, farther, eps) + margin
    return torch.relu(gap).mean()
