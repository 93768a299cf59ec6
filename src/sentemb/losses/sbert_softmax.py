"""Sentence-BERT's classification objective (Reimers & Gurevych, EMNLP 2019, sec. 3):

    o = softmax(W_t [u; v; |u - v|]),   W_t in R^{k x 3n},   loss = cross-entropy(o, y)

trained on NLI pairs (premise u, hypothesis v) with k = 3 classes. The classifier W_t (with bias, as in
sentence-transformers' SoftmaxLoss) is a submodule of this loss, so it is trained with the encoder and
saved in checkpoints, but not with the exported encoder.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sentemb.bases import LossBase
from sentemb.errors import SettingError
from sentemb.losses.pair_inputs import aligned_pairs
from sentemb.samplers.pairs import ContrastivePairs


class SoftmaxClassifierLoss(LossBase):
    """Cross-entropy of a linear classifier on (u, v, |u-v|).

    Args:
        num_labels: classes (3 for NLI: sentemb's SNLI reader maps contradiction 0, entailment 1, neutral 2).
        embedding_dim: the size n of u and v; None = set by the method from the encoder's hidden size
            (`set_embedding_dim`) before the optimizer is built.
    Input: `ContrastivePairs` with anchors = u (N, n), candidates = v (N, n), pair_labels (N,) long.
    """

    config_name = "sbert_softmax"
    consumes = frozenset({"pair_labels"})
    requires = frozenset({"pair_labels"})

    def __init__(self, num_labels: int = 3, embedding_dim: int | None = None):
        super().__init__()
        if num_labels < 2:
            raise SettingError(f"loss.num_labels must be >= 2, got {num_labels}")
        self.num_labels = int(num_labels)
        self.classifier: nn.Linear | None = None
        if embedding_dim is not None:
            self.set_embedding_dim(embedding_dim)

    def set_embedding_dim(self, dim: int) -> None:
        """Build the (3*dim -> num_labels) classifier; a no-op if it exists with that size."""
        if self.classifier is not None:
            if self.classifier.in_features != 3 * dim:
                raise SettingError(f"loss.embedding_dim={self.classifier.in_features // 3} but the encoder gives "
                                 f"{dim}-dimensional embeddings")
            return
        self.classifier = nn.Linear(3 * int(dim), self.num_labels)

    def logits(self, u: Tensor, v: Tensor) -> Tensor:
        """(N, n), (N, n) -> (N, num_labels)."""
        if self.classifier is None:
            raise RuntimeError("SoftmaxClassifierLoss has no classifier yet: pass embedding_dim or call "
                               "set_embedding_dim (ContrastiveModule does this)")
        return self.classifier(torch.cat([u, v, (u - v).abs()], dim=-1))

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        u, v, labels = aligned_pairs(pairs, "sbert_softmax")
        if labels.is_floating_point():
            raise SettingError("loss=sbert_softmax needs integer class labels (NLI), got float scores: use "
                             "loss=cosine_regression or loss=cosent for scored pairs")
        if labels.numel() and (labels.min() < 0 or labels.max() >= self.num_labels):
            raise SettingError(f"loss=sbert_softmax: labels must be in [0, {self.num_labels}), got "
                             f"[{int(labels.min())}, {int(labels.max())}]; set loss.num_labels")
        return nn.functional.cross_entropy(self.logits(u, v), labels)
