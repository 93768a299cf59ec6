"""CoSENT (Su Jianlin, 2022, "CoSENT: a more efficient sentence vector scheme than Sentence-BERT"):
a rank loss over the cosine similarities of scored pairs. For every two pairs (i, j) of the batch whose
gold scores satisfy y_i > y_j, the cosine of pair i should exceed that of pair j:

    loss = log( 1 + sum_{(i, j): y_i > y_j} exp( scale * (cos_j - cos_i) ) ),    scale = 20 (Su's lambda).

Only the order of the gold scores matters, so the scores need no rescaling (0-5 scores or 0/1 labels).
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sentemb.bases import LossBase
from sentemb.errors import SettingError
from sentemb.losses.pair_inputs import aligned_pairs
from sentemb.samplers.pairs import ContrastivePairs


class CoSENTLoss(LossBase):
    """CoSENT on `ContrastivePairs` from sampler=paired: u, v (N, D), pair_labels (N,) scores -> scalar.

    A batch where all scores are equal has no ordered pair and gives log(1) = 0.
    """

    config_name = "cosent"
    consumes = frozenset({"pair_labels"})
    requires = frozenset({"pair_labels"})

    def __init__(self, scale: float = 20.0):
        super().__init__()
        if not scale > 0:
            raise SettingError(f"loss.scale must be > 0, got {scale}")
        self.scale = float(scale)

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        u, v, labels = aligned_pairs(pairs, "cosent")
        cos = nn.functional.cosine_similarity(u, v, dim=-1) * self.scale
        diff = cos.unsqueeze(0) - cos.unsqueeze(1)  # diff[i, j] = cos_j - cos_i
        ordered = labels.unsqueeze(1) > labels.unsqueeze(0)  # y_i > y_j
        terms = diff.masked_fill(~ordered, float("-inf")).flatten()
        zero = torch.zeros(1, dtype=terms.dtype, device=terms.device)
        return torch.logsumexp(torch.cat([zero, terms]), dim=0)
