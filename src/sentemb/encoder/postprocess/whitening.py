"""BERT-whitening (Su et al., 2021, "Whitening Sentence Representations for Better Semantics and Faster
Retrieval", arXiv:2103.15316; reference code bojone/BERT-whitening).

Fitted on embeddings X (N, D) of a corpus:

    mu = mean(X)                     (D,)
    Sigma = cov(X) = U Lambda U^T    (SVD of the (N-1)-normalised covariance, as np.cov in the reference)
    W = U Lambda^(-1/2)              (D, D), columns sorted by decreasing variance; keep the first k -> (D, k)

    whiten(x) = (x - mu) W           (N, D) -> (N, k), then L2-normalised (the paper's cosine is unchanged by
                                      it; normalising makes the transform a unit-vector embedding like ST's).

Rank-deficient covariance (N <= D, or collapsed directions): singular values are floored at
`eps * Lambda_max` before the inverse square root, so no direction is divided by ~0; directions below the floor
carry (almost) no variance and are scaled by at most 1/sqrt(eps * Lambda_max). A warning names how many.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from sentemb.errors import SettingError

log = logging.getLogger(__name__)


def as_float64(embeddings: Tensor | np.ndarray) -> Tensor:
    """(N, D) numpy array or tensor -> float64 CPU tensor, checked 2-D with N >= 2."""
    x = embeddings.detach() if isinstance(embeddings, Tensor) else torch.as_tensor(np.asarray(embeddings))
    x = x.to("cpu", torch.float64)
    if x.ndim != 2 or x.shape[0] < 2:
        raise ValueError(f"fitting a post-processing transform needs (N, D) embeddings with N >= 2, "
                         f"got shape {tuple(x.shape)}")
    return x


class Whitening(nn.Module):
    """x (N, D) -> normalize((x - mu) W) (N, k).

    Args:
        k: dimensions kept (the top-k variance directions); None = all D (postprocess.transform.k).
        eps: relative floor on the covariance's singular values (rank-deficient covariance stays finite).
        normalize: L2-normalise the output (the ST export then ends with a Normalize module).
        dim: input width D; given when loading a saved transform, else set by `fit`.
    """

    def __init__(self, k: int | None = None, eps: float = 1e-6, normalize: bool = True, dim: int | None = None):
        super().__init__()
        if k is not None and int(k) < 1:
            raise SettingError(f"postprocess.transform.k must be a positive integer or null, got {k}")
        if not 0 < float(eps) < 1:
            raise SettingError(f"postprocess.transform.eps must be in (0, 1), got {eps}")
        self.k = None if k is None else int(k)
        self.eps = float(eps)
        self.normalize = bool(normalize)
        self.dim = None if dim is None else int(dim)
        out = self.dim if self.dim is None or self.k is None else min(self.k, self.dim)
        self.register_buffer("mu", torch.zeros(self.dim or 0))
        self.register_buffer("weight", torch.zeros(self.dim or 0, out or 0))

    @property
    def output_dim(self) -> int:
        return int(self.weight.shape[1])

    def cap_steps(self, steps: int) -> None:
        """Nothing to cap: whitening is fitted in closed form."""

    def fit_info(self) -> dict[str, Any]:
        return {}

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this transform (saved as json beside the weights)."""
        return {"k": self.k, "eps": self.eps, "normalize": self.normalize, "dim": self.dim}

    @torch.no_grad()
    def fit(self, embeddings: Tensor | np.ndarray) -> Whitening:
        """Fit mu (D,) and W (D, k) on embeddings (N, D); computed in float64, stored in float32."""
        x = as_float64(embeddings)
        n, d = x.shape
        if self.k is not None and self.k > d:
            raise SettingError(f"postprocess.transform.k={self.k} exceeds the embedding width {d}")
        mu = x.mean(0)
        xc = x - mu
        cov = xc.T @ xc / (n - 1)
        u, s, _ = torch.linalg.svd(cov)
        floor = max(self.eps * float(s[0]), torch.finfo(torch.float64).tiny)
        floored = int((s < floor).sum())
        k = self.k or d
        if floored and floored > d - k:
            log.warning("whitening: %d of %d covariance directions have variance below %.3g x the largest "
                        "(rank-deficient: %d sentences, width %d); their scale is floored at eps=%g",
                        floored, d, self.eps, n, d, self.eps)
        w = u / s.clamp_min(floor).sqrt()
        self.dim = d
        self.mu = mu.float().to(self.mu.device)
        self.weight = w[:, :k].float().contiguous().to(self.mu.device)
        return self

    def whiten(self, x: Tensor) -> Tensor:
        """(N, D) -> (N, k), without the final normalisation."""
        if self.dim is None:
            raise RuntimeError("Whitening is not fitted: call fit(embeddings) first (or load a saved transform)")
        if x.shape[-1] != self.dim:
            raise ValueError(f"whitening was fitted on width {self.dim}, got inputs of width {x.shape[-1]}")
        return (x - self.mu.to(x.dtype)) @ self.weight.to(x.dtype)

    def forward(self, x: Tensor) -> Tensor:
        """(N, D) -> (N, k), L2-normalised if `normalize`."""
        y = self.whiten(x)
        return F.normalize(y, dim=-1) if self.normalize else y

    def as_linear(self) -> nn.Linear:
        """The same affine map as an nn.Linear (weight W^T (k, D), bias -mu W (k,)): the ST Dense module."""
        linear = nn.Linear(self.dim, self.output_dim)
        with torch.no_grad():
            linear.weight.copy_(self.weight.T)
            linear.bias.copy_(-(self.mu @ self.weight))
        return linear
