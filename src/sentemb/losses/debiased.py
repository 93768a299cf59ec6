"""The debiased negative term of DCL (Chuang et al., NeurIPS 2020), with HCL's reweighting (Robinson et
al., ICLR 2021) entering through the negative weights.

For anchor i with positive p, logits l = cos / tau, the N_i negatives j (non-positive candidates of
weight > 0) and their weights w (1 when the sampler gives none; HCL's exp(beta l) / mean):

    Ng_ip = max( (sum_j w_ij exp(l_ij) - N_i * tau_plus * exp(l_ip)) / (1 - tau_plus),  N_i * exp(-1 / tau) )
    L_ip  = -log( exp(l_ip) / (exp(l_ip) + Ng_ip) )

as in the authors' code (chingyaoc/DCL main.py; joshr17/HCL image/main.py, estimator='hard'). The clamp is
the smallest value the negative term can take with cosine similarities (>= -1). With tau_plus = 0 and one
positive per anchor this is InfoNCE; several positives each get their own term, averaged per anchor.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.errors import SettingError


def debiased_info_nce(logits: Tensor, positive_mask: Tensor, negative_weight: Tensor | None,
                      tau_plus: float, temperature: float) -> Tensor:
    """logits (N, M) = cos / temperature, positive_mask (N, M) bool, negative_weight (N, M) or None,
    0 <= tau_plus < 1 -> scalar mean loss over the anchors that have a positive."""
    if not 0.0 <= tau_plus < 1.0:
        raise SettingError(f"sampler.tau_plus must be in [0, 1), got {tau_plus}")
    negatives = ~positive_mask
    weight = torch.ones_like(logits) if negative_weight is None else negative_weight.to(logits.dtype)
    weight = weight.masked_fill(~negatives, 0.0)
    n_neg = (weight > 0).sum(1, keepdim=True).to(logits.dtype)  # (N, 1)
    shift = logits.detach().max(dim=1, keepdim=True).values     # every exp below is scaled by exp(-shift)
    exp_logits = torch.exp(logits - shift)
    neg_sum = (weight * exp_logits).sum(1, keepdim=True)          # (N, 1)
    floor = n_neg * torch.exp(-1.0 / temperature - shift)        # N * e^(-1/tau), scaled
    ng = torch.maximum((neg_sum - n_neg * tau_plus * exp_logits) / (1.0 - tau_plus), floor)  # (N, M)
    per_pair = -(logits - shift) + torch.log(exp_logits + ng)
    n_pos = positive_mask.sum(1)
    has_pos = n_pos > 0
    if not bool(has_pos.any()):
        raise ValueError("no anchor in the batch has a positive: check the sampler and the batch builder")
    per_anchor = per_pair.masked_fill(~positive_mask, 0.0).sum(1)
    return (per_anchor[has_pos] / n_pos[has_pos]).mean()

