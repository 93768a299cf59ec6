"""SupCon (Khosla et al., NeurIPS 2020, "Supervised Contrastive Learning"): InfoNCE with label-defined
positives (sampler=label gives them), scaled as the authors' code scales it.

    L = (tau / base_tau) * L_out,     L_out = mean_i -1/|P(i)| sum_{p in P(i)} log softmax_{a != i}(z_i.z_a / tau)_p

HobbitLong/SupContrast losses.py:103 multiplies by temperature / base_temperature (base_temperature 0.07,
losses.py:15), so at the paper's tau 0.1 the loss and its gradient are 0.1 / 0.07 = 1.43 times L_out.
base_temperature = temperature (or null) gives L_out itself.
"""

from __future__ import annotations

from torch import Tensor

from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.pairs import ContrastivePairs


class SupConLoss(InfoNCELoss):
    """InfoNCELoss (multi-positive, SupCon's L_out) times temperature / base_temperature -> scalar.

    temperature > 0 (SupCon paper: 0.1); base_temperature > 0 or None (= temperature: no scaling;
    SupContrast's default 0.07).
    """

    def __init__(self, temperature: float = 0.1, base_temperature: float | None = 0.07,
                 hard_negative_weight: float = 0.0, name: str = "supcon"):
        super().__init__(temperature, hard_negative_weight, name)
        self.base_temperature = self.temperature if base_temperature is None else float(base_temperature)
        if not self.base_temperature > 0:
            raise ValueError(f"loss.base_temperature must be > 0 or null, got {base_temperature}")

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        return (self.temperature / self.base_temperature) * super().forward(pairs)
