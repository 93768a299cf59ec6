"""The invertible layers of a Glow step on vectors (Kingma & Dhariwal, 2018, "Glow"), as used by BERT-flow
(Li et al., EMNLP 2020; release bohanli/BERT-flow, which runs Glow on the embedding reshaped to a (1, 1, D)
"image", flow/glow_1x1.py:56, so every convolution is 1x1, i.e. a D x D linear map on the vector).

Each layer maps x (N, D) -> (y (N, D), logdet (N,)) with logdet = log |det dy/dx| per row, and has an exact
`inverse(y) -> x`. The couplings are in flow_coupling.py.
"""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

LOGSCALE_FACTOR = 3.0  # the release optimises s / 3 instead of s ("helps in faster convergence"), glow_ops_1x1.py:101


class ActNorm(nn.Module):
    """y = (x + b) * exp(s), per dimension (glow_ops_1x1.py:92-191, actnorm_center then actnorm_scale).

    b and s are set from the first training batch so that y has zero mean and unit variance there
    (data-dependent init: b = -mean(x), s = -log(sqrt(mean((x + b)^2)) + 1e-6), glow_ops_1x1.py:144-176), then
    learnt. s is stored as `log_scale` = s / 3 (the release's logscale_factor). logdet = sum(s).
    """

    def __init__(self, dim: int, logscale_factor: float = LOGSCALE_FACTOR):
        super().__init__()
        self.logscale_factor = float(logscale_factor)
        self.bias = nn.Parameter(torch.zeros(dim))
        self.log_scale = nn.Parameter(torch.zeros(dim))
        self.register_buffer("initialized", torch.tensor(False))

    @torch.no_grad()
    def initialize(self, x: Tensor) -> None:
        self.bias.copy_(-x.mean(0))
        std = (x + self.bias).pow(2).mean(0).sqrt()
        self.log_scale.copy_(-torch.log(std + 1e-6) / self.logscale_factor)
        self.initialized.fill_(True)

    def scale_log(self) -> Tensor:
        """s (D,)."""
        return self.log_scale * self.logscale_factor

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        if self.training and not bool(self.initialized):
            self.initialize(x)
        s = self.scale_log()
        return (x + self.bias) * torch.exp(s), s.sum().expand(x.shape[0])

    def inverse(self, y: Tensor) -> Tensor:
        return y * torch.exp(-self.scale_log()) - self.bias


class ReversePermutation(nn.Module):
    """y[:, j] = x[:, D-1-j]: the release's "invertible 1x1 conv" with `permutation: true` (every shipped
    config, flow/config/*.json), a fixed channel reversal W[i][D-1-i] = 1 (glow_ops_1x1.py:218-238). logdet = 0."""

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        return x.flip(1), x.new_zeros(x.shape[0])

    def inverse(self, y: Tensor) -> Tensor:
        return y.flip(1)


class InvertibleLinear(nn.Module):
    """y = x W^T with W (D, D) = P L (U + diag(sign * exp(log_s))), initialised from the LU decomposition of a
    random rotation: Glow's learnt invertible 1x1 conv (the release's `permutation: false` path,
    glow_ops_1x1.py:239-277). P and sign fixed, L unit lower-triangular, U strictly upper. logdet = sum(log_s).
    """

    def __init__(self, dim: int):
        super().__init__()
        w = torch.linalg.qr(torch.randn(dim, dim))[0]
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
        lower, upper = self._factors()
        return (lower @ upper)[self.perm]

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        # x W^T = ((x U^T) L^T) P^T: two (N, D) x (D, D) products, cheaper than forming W when N < D
        lower, upper = self._factors()
        y = (x @ upper.T) @ lower.T
        return y[:, self.perm], self.log_s.sum().expand(x.shape[0])

    def inverse(self, y: Tensor) -> Tensor:
        return torch.linalg.solve(self.matrix(), y.T).T


PERMUTATIONS = {"reverse": lambda dim: ReversePermutation(), "lu": InvertibleLinear}


def standard_normal_logprob(z: Tensor) -> Tensor:
    """log N(z; 0, I) per row: z (N, D) -> (N,)."""
    return -0.5 * (z.pow(2) + math.log(2 * math.pi)).sum(1)
