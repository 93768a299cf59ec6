"""The invertible layers of a Glow-style flow on vectors (Kingma & Dhariwal, 2018, "Glow"), as used by
BERT-flow (Li et al., EMNLP 2020; reference code bohanli/BERT-flow, which runs Glow on (D, 1, 1) "images").

Each layer maps x (N, D) -> (y (N, D), logdet (N,)) with logdet = log |det dy/dx| per row, and has an exact
`inverse(y) -> x`. On vectors, Glow's 1x1 convolution is a D x D linear map.
"""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn


class ActNorm(nn.Module):
    """y = (x + b) * exp(s), per dimension; b and s set from the first training batch so that y has zero mean
    and unit variance there (data-dependent init), then learnt. logdet = sum(s)."""

    def __init__(self, dim: int):
        super().__init__()
        self.bias = nn.Parameter(torch.zeros(dim))
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def initialize(self, x: Tensor) -> None:
        self.bias.copy_(-x.mean(0))
        self.log_scale.copy_(-torch.log(x.std(0, unbiased=False) + 1e-6))
        self.initialized.fill_(True)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if self.training and not bool(self.initialized):
            self.initialize(x)
        y = (x + self.bias) * torch.exp(self.log_scale)
        return y, self.log_scale.sum().expand(x.shape[0])

    def inverse(self, y: Tensor) -> Tensor:
        return y * torch.exp(-self.log_scale) - self.bias


class InvertibleLinear(nn.Module):
    """y = x W^T with W (D, D) invertible, initialised as a random rotation (Glow's invertible 1x1 conv).

    lu=True: W = P L (U + diag(sign * exp(log_s))) with P fixed, L unit lower-triangular, U strictly upper
    (Glow's LU parametrisation): logdet = sum(log_s), O(D). lu=False: W a free matrix, logdet from
    torch.linalg.slogdet (O(D^3)).
    """

    def __init__(self, dim: int, lu: bool = True):
        super().__init__()
        self.lu = bool(lu)
        w = torch.linalg.qr(torch.randn(dim, dim))[0]
        if not self.lu:
            self.weight = nn.Parameter(w)
            return
        p, lower, upper = torch.linalg.lu(w)
        s = torch.diagonal(upper)
        self.register_buffer("perm", p.argmax(1))  # P[i, perm[i]] = 1
        self.register_buffer("sign_s", torch.sign(s))
        self.register_buffer("lower_mask", torch.tril(torch.ones(dim, dim), -1))
        self.register_buffer("eye", torch.eye(dim))
        self.lower = nn.Parameter(lower)
        self.upper = nn.Parameter(torch.triu(upper, 1))
        self.log_s = nn.Parameter(torch.log(s.abs()))

    def _factors(self) -> tuple[Tensor, Tensor]:
        lower = self.lower * self.lower_mask + self.eye
        upper = self.upper * self.lower_mask.T + torch.diag(self.sign_s * torch.exp(self.log_s))
        return lower, upper

    def matrix(self) -> Tensor:
        """W (D, D)."""
        if not self.lu:
            return self.weight
        lower, upper = self._factors()
        return (lower @ upper)[self.perm]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if not self.lu:
            return x @ self.weight.T, torch.linalg.slogdet(self.weight)[1].expand(x.shape[0])
        # x W^T = ((x U^T) L^T) P^T: two (N, D) x (D, D) products, cheaper than forming W when N < D
        lower, upper = self._factors()
        y = (x @ upper.T) @ lower.T
        return y[:, self.perm], self.log_s.sum().expand(x.shape[0])

    def inverse(self, y: Tensor) -> Tensor:
        return torch.linalg.solve(self.matrix(), y.T).T


class AffineCoupling(nn.Module):
    """Split x = (a, b) with a the first D//2 dims; (shift, raw) = net(a);
    y = (a, (b + shift) * sigmoid(raw + 2)) (Glow's affine coupling). logdet = sum log sigmoid(raw + 2).
    The last layer of `net` starts at zero, so each coupling starts near the identity (scale sigmoid(2))."""

    def __init__(self, dim: int, hidden: int = 256):
        super().__init__()
        if dim < 2:
            raise ValueError(f"an affine coupling needs a width >= 2, got {dim}")
        self.split = dim // 2
        rest = dim - self.split
        out = nn.Linear(hidden, 2 * rest)
        nn.init.zeros_(out.weight)
        nn.init.zeros_(out.bias)
        self.net = nn.Sequential(nn.Linear(self.split, hidden), nn.ReLU(), nn.Linear(hidden, hidden), nn.ReLU(), out)

    def _shift_raw(self, a: Tensor) -> tuple[Tensor, Tensor]:
        h = self.net(a)
        rest = h.shape[1] // 2
        return h[:, :rest], h[:, rest:] + 2.0

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        a, b = x[:, : self.split], x[:, self.split :]
        shift, raw = self._shift_raw(a)
        y = torch.cat([a, (b + shift) * torch.sigmoid(raw)], dim=1)
        return y, F.logsigmoid(raw).sum(1)

    def inverse(self, y: Tensor) -> Tensor:
        a, b = y[:, : self.split], y[:, self.split :]
        shift, raw = self._shift_raw(a)
        return torch.cat([a, b / torch.sigmoid(raw) - shift], dim=1)


def standard_normal_logprob(z: Tensor) -> Tensor:
    """log N(z; 0, I) per row: z (N, D) -> (N,)."""
    return -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1)
