"""The debiased negative term of DCL (Chuang et al., NeurIPS 2020), with HCL's reweighting (Robinson et
al., ICLR 2021) entering through the negative weights.

For anchor i with positive p, logits l = cos / tau, the N_i negatives j (non-positive candidates of
weight > 0) and their weights w (1 when the sampler gives none; HCL's exp(beta l) / mean):

    Ng_ip = max( (sum_j w_ij exp(l_ij) - N_i * tau_plus * exp(l_ip)) / (1 - tau_plus),  N_i * exp(-1 / tau) )
    L_ip  = -log( exp(l_ip) / (exp(l_ip) + Ng_ip) )

as in the authors' code (chingyaoc/DCL main.py:44-54; joshr17/HCL image/main.py:41-54, estimator='hard').
The clamp is the smallest value the negative term can take with cosine similarities (>= -1). With
tau_plus = 0 and one positive per anchor this is InfoNCE; several positives each get their own term,
averaged per anchor.

Where the clamp binds, Ng is a constant: the term gives no gradient to the negatives, nor to HCL's weights,
and the positive is pushed by exp(l_ip) / (exp(l_ip) + N e^(-1/tau)) alone. At SimCSE's tau 0.05 this
happens for most anchors (experiments/dcl_hcl_layout/README.md), so `ClampMonitor` logs the clamped share
and warns when it is most of the first batches.
"""

from __future__ import annotations

import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor

from sentemb.errors import SettingError
from sentemb.samplers.pairs import ContrastivePairs


def debiased_terms(logits: Tensor, positive_mask: Tensor, negative_weight: Tensor | None,
                   tau_plus: float, temperature: float) -> tuple[Tensor, Tensor]:
    """logits (N, M) = cos / temperature, positive_mask (N, M) bool, negative_weight (N, M) or None,
    0 <= tau_plus < 1 -> (scalar mean loss over the anchors that have a positive, (N, M) bool: the
    (anchor, positive) terms whose negative term is at the clamp N e^(-1/tau))."""
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
    estimate = (neg_sum - n_neg * tau_plus * exp_logits) / (1.0 - tau_plus)  # (N, M)
    ng = torch.maximum(estimate, floor)
    per_pair = -(logits - shift) + torch.log(exp_logits + ng)
    n_pos = positive_mask.sum(1)
    has_pos = n_pos > 0
    if not bool(has_pos.any()):
        raise ValueError("no anchor in the batch has a positive: check the sampler and the batch builder")
    per_anchor = per_pair.masked_fill(~positive_mask, 0.0).sum(1)
    clamped = (estimate.detach() < floor) & positive_mask
    return (per_anchor[has_pos] / n_pos[has_pos]).mean(), clamped


def debiased_info_nce(logits: Tensor, positive_mask: Tensor, negative_weight: Tensor | None,
                      tau_plus: float, temperature: float) -> Tensor:
    """The scalar loss of `debiased_terms`."""
    return debiased_terms(logits, positive_mask, negative_weight, tau_plus, temperature)[0]


class ClampMonitor:
    """Applies DCL's term to `ContrastivePairs` and reports how often its clamp binds.

    Writes pairs.stats["sampler/clamped"] (share of (anchor, positive) terms at the clamp this step, logged as
    train/sampler/clamped) and pairs.activity["sampler/debiased"] = 1 - that share (the share where the
    debiased, HCL-weighted negative term gives gradient; train/sampler/debiased_active). Over the first
    `check_batches` calls it averages the share and warns once if it exceeds `warn_above`, naming
    loss.temperature: the configured tau makes the method inert.
    """

    def __init__(self, check_batches: int = 3, warn_above: float = 0.5):
        self.check_batches, self.warn_above = int(check_batches), float(warn_above)
        self.first_shares: list[float] = []

    def __call__(self, pairs: ContrastivePairs, logits: Tensor, temperature: float) -> Tensor:
        loss, clamped = debiased_terms(logits, pairs.positive_mask, pairs.negative_weight, pairs.tau_plus,
                                       temperature)
        share = float(clamped.sum()) / max(int(pairs.positive_mask.sum()), 1)
        pairs.stats = {**(pairs.stats or {}), "sampler/clamped": share}
        pairs.activity = {**(pairs.activity or {}), "sampler/debiased": 1.0 - share}
        if len(self.first_shares) < self.check_batches:
            self.first_shares.append(share)
            if len(self.first_shares) == self.check_batches:
                self.check(temperature, pairs.tau_plus)
        return loss

    def check(self, temperature: float, tau_plus: float) -> None:
        mean = sum(self.first_shares) / len(self.first_shares)
        if mean > self.warn_above:
            rank_zero_warn(
                f"loss.temperature={temperature} with sampler.tau_plus={tau_plus}: DCL's negative term is at its "
                f"clamp N*e^(-1/tau) for {mean:.0%} of the anchors over the first "
                f"{len(self.first_shares)} batches, where it gives no gradient (sampler=debiased / hard act only "
                "off the clamp; train/sampler/clamped logs the share). Raise loss.temperature (the defaults of "
                "conf/sampler/loss/) or lower sampler.tau_plus.")
