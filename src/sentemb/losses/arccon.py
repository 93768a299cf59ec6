"""ArcCon: NT-Xent in angular space with an additive angular margin on the positive pair.

ArcCSE (Zhang et al., ACL 2022, "A Contrastive Framework for Learning Sentence Representations from
Pairwise and Triple-wise Perspective in Angular Space"), eq. 3. For anchor i with positive i+ and angle
theta_ij = arccos(cos(h_i, h_j)) between the normalised embeddings:

    L_i = -log( exp(cos(theta_{i,i+} + m) / tau) / (exp(cos(theta_{i,i+} + m) / tau) + sum_{j != i+} exp(cos(theta_ij) / tau)) )

The margin m pushes the positive closer than InfoNCE would (its logit is lowered by the margin, so the
loss is only small once theta_{i,i+} + m is small). Negatives keep their plain cosine logits, so negative
weights from samplers (`ContrastivePairs.negative_weight`) and several positives per anchor work as in
`InfoNCELoss`; with m = 0 the two losses are the same function (the arccos is skipped, so exactly equal).

cos(theta + m) decreases in theta only for theta <= pi - m; positives that far apart (near-opposite
vectors) do not occur in practice and the paper uses the plain formula, as here.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor

from sentemb.bases import LossBase
from sentemb.errors import SettingError
from sentemb.losses.infonce import check_temperature, multi_positive_info_nce
from sentemb.samplers.pairs import ContrastivePairs

MAX_MARGIN = math.pi / 2
DEFAULT_MARGIN = math.pi / 18  # 10 degrees, the paper's setting


def clamped_arccos(cosine: Tensor, eps: float = 1e-6) -> Tensor:
    """arccos of cosines clamped to [-1 + eps, 1 - eps]: the derivative -1/sqrt(1 - x^2) stays finite for
    identical (x = 1) or opposite vectors, where rounding can also push x slightly past +-1."""
    return torch.arccos(cosine.clamp(-1.0 + eps, 1.0 - eps))


def check_margin(margin: float, name: str = "loss.margin", upper: float = MAX_MARGIN) -> float:
    """A margin in radians in [0, upper]; the error names the setting and the allowed range."""
    margin = float(margin)
    if not (0.0 <= margin <= upper) or math.isnan(margin):
        raise SettingError(f"{name} must be an angle in radians in [0, {upper:.4f}] (0 to {math.degrees(upper):g} "
                         f"degrees; the paper uses pi/18 = 0.1745), got {margin}")
    return margin


class ArcConLoss(LossBase):
    """ArcCon on `ContrastivePairs` -> scalar.

    Args:
        temperature: tau > 0 (ArcCSE: 0.05).
        margin: additive angular margin m on positives, radians in [0, pi/2] (ArcCSE: pi/18 = 10 degrees).
        eps: cosines are clamped to [-1 + eps, 1 - eps] before arccos.

    Inputs: pairs.anchors (N, D), pairs.candidates (M, D), pairs.positive_mask (N, M) bool,
    pairs.negative_weight (N, M) or None. Anchors without a positive are skipped.
    """

    config_name = "arccon"
    consumes = frozenset({"negative_weight"})  # optional ContrastivePairs fields it uses

    def __init__(self, temperature: float = 0.05, margin: float = DEFAULT_MARGIN, eps: float = 1e-6):
        super().__init__()
        self.temperature = check_temperature(temperature)
        self.margin = check_margin(margin)
        if not 0.0 < eps < 0.1:
            raise SettingError(f"loss.eps must be in (0, 0.1), got {eps}")
        self.eps = float(eps)

    def logits(self, pairs: ContrastivePairs) -> Tensor:
        """(N, M) logits: cos(theta + m) / tau on positives, cos(theta) / tau elsewhere."""
        cosine = pairs.cosine()
        if self.margin == 0.0:
            return cosine / self.temperature
        with_margin = torch.cos(clamped_arccos(cosine, self.eps) + self.margin)
        return torch.where(pairs.positive_mask, with_margin, cosine) / self.temperature

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        return multi_positive_info_nce(self.logits(pairs), pairs.positive_mask, pairs.negative_weight)

    def extra_repr(self) -> str:
        return f"temperature={self.temperature}, margin={self.margin:.4f} rad"
