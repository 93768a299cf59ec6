"""k-nearest-neighbour neighbourhoods (VaSCL; Zhang et al., 2021, "Virtual Augmentation Supported
Contrastive Learning of Sentence Representations").

In-batch pairs as `InBatchSampler`, plus for each anchor (view 0) the indices of its k nearest other
anchors: the neighbourhood against which VaSCL's loss (`sentemb.methods.vascl`) builds its virtual
augmentations. Ranked as released (amazon-science/sentence-representations, VaSCL/models/Transformers.py:
29-35): by inner product of the embeddings the encoder gives (not normalised, before VaSCL's projection
head), self excluded, over the whole (gathered) batch.
"""

from __future__ import annotations

import logging
from dataclasses import replace

import torch
from torch import Tensor

from sentemb.bases import SamplerBase
from sentemb.errors import SettingError
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.pairs import ContrastivePairs

log = logging.getLogger(__name__)


def nearest_neighbours(anchors: Tensor, k: int) -> Tensor:
    """anchors (B, D) -> (B, k) long: row i = the k rows with the largest inner product with row i, i
    excluded, largest first."""
    with torch.no_grad():
        a = anchors.detach()
        sim = a @ a.T
        sim.fill_diagonal_(float("-inf"))
        return sim.topk(k, dim=1).indices


class KnnSampler(SamplerBase):
    """embeddings (B, V, D) -> in-batch `ContrastivePairs` with `neighbours` (B, k).

    k >= 1 (VaSCL code default 16) must be below the batch size; start-up checks it against
    data.batch_size (`sentemb.samplers.compat`). A shorter last batch (B <= k) uses its B - 1 others.
    """

    config_name = "knn"

    def __init__(self, k: int = 16):
        if int(k) != k or k < 1:
            raise SettingError(f"sampler.k must be a positive integer, got {k}")
        self.k = int(k)
        self.in_batch = InBatchSampler()
        self._warned_short = False

    @property
    def produces(self) -> dict[str, str]:
        return {"neighbours": f"sampler.k={self.k}"}

    def min_batch_size(self) -> int:
        return self.k + 1

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None) -> ContrastivePairs:
        pairs = self.in_batch(embeddings, labels)
        b = pairs.anchors.shape[0]
        if b < 2:
            raise SettingError(f"sampler=knn needs at least 2 examples in a batch, got {b}")
        k = self.k
        if b <= k:
            if not self._warned_short:
                log.warning("sampler=knn: a batch of %d has fewer than sampler.k=%d others; using %d", b, k, b - 1)
                self._warned_short = True
            k = b - 1
        return replace(pairs, neighbours=nearest_neighbours(pairs.anchors, k))
