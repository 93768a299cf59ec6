"""Label-defined positives for SupCon (Khosla et al., NeurIPS 2020, "Supervised Contrastive Learning").

Every embedding of the batch (each view of each example) is an anchor; every *other* embedding with the
same label is a positive, every embedding with another label a negative, and the anchor itself is left
out of the denominator (negative_weight 0 on the diagonal). With `loss=infonce` this is SupCon's L_out:

    L = sum_i -1/|P(i)| sum_{p in P(i)} log( exp(z_i.z_p / tau) / sum_{a != i} exp(z_i.z_a / tau) )
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.bases import SamplerBase
from sentemb.errors import SettingError
from sentemb.samplers.pairs import ContrastivePairs


class LabelSampler(SamplerBase):
    """(B, V, D) embeddings and (B,) integer labels -> ContrastivePairs over the B*V embeddings.

    Anchors and candidates are the same (B*V, D) block, stacked view by view (row v*B + b is view v of
    example b). An anchor with no other embedding of its label (V = 1 and a label seen once) has no
    positive and is skipped by the loss; the label batch sampler (data.batching=label) prevents that.
    """

    config_name = "label"
    requires_labels = "class"
    produces = {"negative_weight": "sampler=label excludes each example's similarity to itself"}

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None) -> ContrastivePairs:
        if labels is None:
            raise SettingError("sampler=label needs class labels in the batch: use labelled data (data=banking77, "
                             "clinc150, snips, labelled_csv) with model=supcon")
        b, v, _ = embeddings.shape
        if labels.shape != (b,):
            raise ValueError(f"sampler=label: labels have shape {tuple(labels.shape)}, expected ({b},)")
        if labels.is_floating_point():
            raise SettingError("sampler=label needs integer class labels, got float labels (scores?): use "
                             "sampler=paired with a pair loss for scored pairs")
        flat = embeddings.transpose(0, 1).reshape(b * v, -1)
        row_labels = labels.repeat(v)
        eye = torch.eye(b * v, dtype=torch.bool, device=embeddings.device)
        positive = (row_labels.unsqueeze(0) == row_labels.unsqueeze(1)) & ~eye
        negative_weight = (~eye).to(embeddings.dtype)
        return ContrastivePairs(flat, flat, positive, negative_weight)
