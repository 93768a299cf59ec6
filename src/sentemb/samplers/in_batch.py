"""In-batch negatives (SimCSE; Gao et al., 2021): every other sentence in the batch is a negative."""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.errors import SettingError
from sentemb.samplers.pairs import ContrastivePairs


class InBatchSampler:
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
