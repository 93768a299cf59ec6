"""Coupling layers of a Glow step on vectors, as in BERT-flow's release (bohanli/BERT-flow, flow/glow_ops_1x1.py).

x (N, D) is split into a = x[:, :D - D//2] (left unchanged) and b = the rest; a network of a shifts (and, for
the affine coupling, scales) b. Both map x -> (y (N, D), logdet (N,)) and have an exact `inverse`.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sentemb.encoder.postprocess.flow_layers import LOGSCALE_FACTOR, ActNorm


class CouplingNet(nn.Module):
    """(N, d_in) -> (N, d_out): the release's conv_stack with 1x1 filters (glow_ops_1x1.py:378-456):
    linear (no bias, N(0, 0.05) init) -> actnorm -> ReLU, twice, then a zero-initialised linear with bias and a
    per-output scale exp(3 * logs) (conv(..., conv_init="zeros", apply_actnorm=False), glow_ops_1x1.py:366-373),
    so every coupling starts as the identity."""

    def __init__(self, d_in: int, hidden: int, d_out: int):
        super().__init__()
        self.first, self.second = nn.Linear(d_in, hidden, bias=False), nn.Linear(hidden, hidden, bias=False)
        for layer in (self.first, self.second):
            nn.init.normal_(layer.weight, std=0.05)  # default_initializer, glow_ops_1x1.py:83-84
        self.first_norm, self.second_norm = ActNorm(hidden), ActNorm(hidden)
        self.out = nn.Linear(hidden, d_out)
        nn.init.zeros_(self.out.weight)
        nn.init.zeros_(self.out.bias)
        self.out_log_scale = nn.Parameter(torch.zeros(d_out))

    def forward(self, a: Tensor) -> Tensor:
        h = F.relu(self.first_norm(self.first(a))[0])
        h = F.relu(self.second_norm(self.second(h))[0])
        return self.out(h) * torch.exp(self.out_log_scale * LOGSCALE_FACTOR)


class AdditiveCoupling(nn.Module):
    """y = (a, b + NN(a)); logdet = 0 (volume preserving). The release's default coupling
    (additive_coupling, glow_ops_1x1.py:460-486; "coupling": "additive" in flow/config/config_l3_d3_w32.json)."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        if dim < 2:
            raise ValueError(f"a coupling needs a width >= 2, got {dim}")
        self.split = dim - dim // 2
        self.net = CouplingNet(self.split, hidden, dim - self.split)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        a, b = x[:, : self.split], x[:, self.split :]
        return torch.cat([a, b + self.net(a)], dim=1), x.new_zeros(x.shape[0])

    def inverse(self, y: Tensor) -> Tensor:
        a, b = y[:, : self.split], y[:, self.split :]
        return torch.cat([a, b - self.net(a)], dim=1)


class AffineCoupling(nn.Module):
    """h = NN(a); shift = h[:, 0::2], scale = sigmoid(h[:, 1::2] + 2); y = (a, (b + shift) * scale);
    logdet = sum log scale (affine_coupling, glow_ops_1x1.py:490-527; starts at scale sigmoid(2))."""

    def __init__(self, dim: int, hidden: int):
        super().__init__()
        if dim < 2:
            raise ValueError(f"a coupling needs a width >= 2, got {dim}")
        self.split = dim - dim // 2
        self.net = CouplingNet(self.split, hidden, 2 * (dim - self.split))

    def _shift_raw(self, a: Tensor) -> tuple[Tensor, Tensor]:
        h = self.net(a)
        return h[:, 0::2], h[:, 1::2] + 2.0

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        a, b = x[:, : self.split], x[:, self.split :]
        shift, raw = self._shift_raw(a)
        return torch.cat([a, (b + shift) * torch.sigmoid(raw)], dim=1), F.logsigmoid(raw).sum(1)

    def inverse(self, y: Tensor) -> Tensor:
        a, b = y[:, : self.split], y[:, self.split :]
        shift, raw = self._shift_raw(a)
        return torch.cat([a, b / torch.sigmoid(raw) - shift], dim=1)


COUPLINGS = {"additive": AdditiveCoupling, "affine": AffineCoupling}
