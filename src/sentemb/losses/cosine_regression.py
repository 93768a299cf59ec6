"""Sentence-BERT's regression objective (Reimers & Gurevych, EMNLP 2019, sec. 3): the cosine similarity of
(u, v) regressed onto the gold score with mean squared error,

    loss = 1/N sum_i (cos(u_i, v_i) - y_i)^2,

with the gold scores in [0, 1] (STS-B's 0-5 divided by 5: data=stsb_train sets data.max_score=5).
"""

from __future__ import annotations

from torch import Tensor, nn

from sentemb.bases import LossBase
from sentemb.losses.pair_inputs import aligned_pairs
from sentemb.samplers.pairs import ContrastivePairs


class CosineRegressionLoss(LossBase):
    """MSE between cos(u_i, v_i) and pair_labels[i]; input from sampler=paired: u, v (N, D), labels (N,)."""

    config_name = "cosine_regression"
    consumes = frozenset({"pair_labels"})
    requires = frozenset({"pair_labels"})

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        u, v, labels = aligned_pairs(pairs, "cosine_regression")
        cos = nn.functional.cosine_similarity(u, v, dim=-1)
        return nn.functional.mse_loss(cos, labels.to(cos.dtype))
