"""InfoNCE / NT-Xent over cosine similarities (van den Oord et al., 2018; SimCSE, Gao et al., 2021).

For anchor i with positives P(i) and candidate weights w (1 for positives):

    L_i = -1/|P(i)| * sum_{p in P(i)} log( exp(s_ip / tau) / sum_j w_ij exp(s_ij / tau) )

With one positive per anchor and w = 1 this is cross-entropy over the similarity row (SimCSE); with
label-defined positives it is SupCon's L_out (Khosla et al., 2020). Anchors without positives are skipped.

Hard negatives (supervised SimCSE): with NLI triplets the contradictions of every anchor join the
denominator (sampler=in_batch puts them after the positives); `hard_negative_weight` (SimCSE's
`--hard_negative_weight`, 0 by default) is added to the logit s_ij / tau of each anchor's own hard
negative, i.e. its term in the denominator is multiplied by exp(weight).
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.bases import LossBase
from sentemb.errors import SettingError
from sentemb.losses.debiased import ClampMonitor
from sentemb.losses.hard_negatives import own_hard_negative_mask
from sentemb.samplers.pairs import ContrastivePairs


def check_temperature(temperature: float) -> float:
    if not temperature > 0:
        raise SettingError(f"loss.temperature must be > 0, got {temperature}")
    return float(temperature)


def multi_positive_info_nce(logits: Tensor, positive_mask: Tensor, negative_weight: Tensor | None) -> Tensor:
    """logits (N, M), positive_mask (N, M) bool, negative_weight (N, M) or None -> scalar mean loss."""
    if negative_weight is not None:
        weight = torch.where(positive_mask, torch.ones_like(negative_weight), negative_weight)
        logits_for_denominator = logits + torch.log(weight.to(logits.dtype))
    else:
        logits_for_denominator = logits
    log_prob = logits - torch.logsumexp(logits_for_denominator, dim=1, keepdim=True)
    n_pos = positive_mask.sum(1)
    has_pos = n_pos > 0
    if not bool(has_pos.any()):
        raise ValueError("no anchor in the batch has a positive: check the sampler and the batch builder")
    per_anchor = -log_prob.masked_fill(~positive_mask, 0.0).sum(1)
    return (per_anchor[has_pos] / n_pos[has_pos]).mean()


class InfoNCELoss(LossBase):
    """NT-Xent with temperature `temperature` (> 0; SimCSE: 0.05) on `ContrastivePairs` -> scalar.

    Pairs with tau_plus > 0 (sampler=debiased / hard) get DCL's debiased negative term
    (`sentemb.losses.debiased`), which logs its clamped share and warns when it clamps most of the first
    batches; tau_plus = 0 is the plain loss above, exactly.

    `hard_negative_weight` is added to the logit of each anchor's own hard negative (candidate k*N + i,
    k >= 1, as sampler=in_batch lays out triplets); with no hard negatives (M == N) it changes nothing.
    """

    consumes = frozenset({"negative_weight", "tau_plus"})  # optional ContrastivePairs fields it uses

    def __init__(self, temperature: float = 0.05, hard_negative_weight: float = 0.0, name: str = "infonce"):
        super().__init__()
        self.config_name = name  # the conf option (supcon.yaml is this loss too)
        self.temperature = check_temperature(temperature)
        self.hard_negative_weight = float(hard_negative_weight)
        self.debiased = ClampMonitor()

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        logits = pairs.cosine() / self.temperature
        if self.hard_negative_weight:
            own = own_hard_negative_mask(logits.shape[0], logits.shape[1], logits.device)
            logits = logits + own.to(logits.dtype) * self.hard_negative_weight
        if pairs.tau_plus > 0:
            return self.debiased(pairs, logits, self.temperature)
        return multi_positive_info_nce(logits, pairs.positive_mask, pairs.negative_weight)
