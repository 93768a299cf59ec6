"""Row-aligned pairs for the Sentence-BERT style pair losses (softmax classifier, cosine regression, CoSENT).

Batches of two views (s1, s2) with a label per pair (an NLI class or a similarity score) become
anchors = u = view 0, candidates = v = view 1 (row i of each is pair i), positive_mask = identity and
pair_labels = the labels. Contrastive losses (infonce) also accept these pairs: the other rows are then
in-batch negatives, as with the in_batch sampler on two views.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.bases import SamplerBase
from sentemb.errors import SettingError
from sentemb.samplers.pairs import ContrastivePairs


class PairedSampler(SamplerBase):
    """(B, V>=2, D) embeddings and (B,) labels (or None) -> ContrastivePairs(u, v, eye, pair_labels)."""

    config_name = "paired"
    requires_labels = "pair"
    produces = {"pair_labels": "sampler=paired gives each pair's label or score"}

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None) -> ContrastivePairs:
        b, v, _ = embeddings.shape
        if v < 2:
            raise SettingError(f"sampler=paired needs 2 views (s1, s2) per example, got {v}")
        if labels is not None and labels.shape != (b,):
            raise ValueError(f"sampler=paired: labels have shape {tuple(labels.shape)}, expected ({b},)")
        eye = torch.eye(b, dtype=torch.bool, device=embeddings.device)
        return ContrastivePairs(embeddings[:, 0], embeddings[:, 1], eye, pair_labels=labels)
