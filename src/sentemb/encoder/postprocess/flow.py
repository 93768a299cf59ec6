"""BERT-flow (Li et al., EMNLP 2020, "On the Sentence Embeddings from Pre-trained Language Models"): a Glow-style
invertible flow trained by maximum likelihood to map frozen sentence embeddings to a standard Gaussian;
sentences are then compared in the Gaussian (latent) space.

    z = f(x),  f = (ActNorm -> InvertibleLinear -> AffineCoupling) x depth        x, z (N, D)
    log p(x) = log N(f(x); 0, I) + log |det df/dx|                               (exact change of variables)
    loss = -mean_x log p(x) / D   (nats per dimension)

Training is short and fixed-length (`steps` Adam steps on random batches of the fitting corpus), so a CPU
run takes seconds to minutes; the loss of every step is kept in `loss_history`.

Degenerate inputs: maximum likelihood is unbounded when a dimension is constant (or dimensions are collinear):
the flow can shrink it without limit. all-MiniLM-L6-v2's mean-pooled embeddings have 3 such dimensions
(std < 1e-4 against a mean std of 0.27), and training on them diverges (NLL rising to ~1e4). So each training
batch gets fresh Gaussian noise of std `noise` x the mean per-dimension std of the fitting data (the
dequantisation trick of flows on discrete data); evaluation uses the clean inputs. noise=0 turns it off.
"""

from __future__ import annotations

import logging
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from sentemb.encoder.postprocess.flow_layers import (
    ActNorm,
    AffineCoupling,
    InvertibleLinear,
    standard_normal_logprob,
)
from sentemb.encoder.postprocess.whitening import as_float64
from sentemb.errors import SettingError

log = logging.getLogger(__name__)


class Flow(nn.Module):
    """x (N, D) -> z (N, D), an invertible map fitted so that z ~ N(0, I).

    Args:
        depth: number of (actnorm, invertible linear, affine coupling) steps.
        hidden: width of each coupling's MLP.
        lu: LU-parametrised invertible linear maps (logdet O(D)); False = free matrices with slogdet.
        steps, batch_size, lr, weight_decay: Adam training in `fit` (postprocess.transform.steps, ...).
        noise: training-noise std relative to the data's mean per-dimension std (see the module docstring).
        seed: seeds the layer initialisation, batch order and noise.
        dim: input width D; given when loading a saved flow, else set by `fit`.
    """

    def __init__(self, depth: int = 3, hidden: int = 32, lu: bool = True, steps: int = 500, batch_size: int = 256,
                 lr: float = 1e-3, weight_decay: float = 0.0, noise: float = 0.01, seed: int = 0,
                 dim: int | None = None, log_every: int = 100):
        super().__init__()
        for name, value in (("depth", depth), ("hidden", hidden), ("steps", steps), ("batch_size", batch_size)):
            if int(value) < 1:
                raise SettingError(f"postprocess.transform.{name} must be >= 1, got {value}")
        if float(lr) <= 0:
            raise SettingError(f"postprocess.transform.lr must be > 0, got {lr}")
        if float(noise) < 0:
            raise SettingError(f"postprocess.transform.noise must be >= 0, got {noise}")
        self.depth, self.hidden, self.lu = int(depth), int(hidden), bool(lu)
        self.steps, self.batch_size, self.lr = int(steps), int(batch_size), float(lr)
        self.weight_decay, self.noise = float(weight_decay), float(noise)
        self.seed, self.log_every = int(seed), int(log_every)
        self.dim: int | None = None
        self.layers = nn.ModuleList()
        self.loss_history: list[float] = []
        if dim is not None:
            self._build(int(dim))

    def _build(self, dim: int) -> None:
        self.dim = dim
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            self.layers = nn.ModuleList(
                layer for _ in range(self.depth)
                for layer in (ActNorm(dim), InvertibleLinear(dim, self.lu), AffineCoupling(dim, self.hidden)))

    @property
    def output_dim(self) -> int:
        return int(self.dim or 0)

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this flow (saved as json beside the weights)."""
        return {"depth": self.depth, "hidden": self.hidden, "lu": self.lu, "steps": self.steps,
                "batch_size": self.batch_size, "lr": self.lr, "weight_decay": self.weight_decay, "noise": self.noise,
                "seed": self.seed,
                "dim": self.dim, "log_every": self.log_every}

    def transform(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (N, D) -> (z (N, D), log |det dz/dx| (N,))."""
        if self.dim is None:
            raise RuntimeError("Flow is not fitted: call fit(embeddings) first (or load a saved flow)")
        if x.shape[-1] != self.dim:
            raise ValueError(f"the flow was fitted on width {self.dim}, got inputs of width {x.shape[-1]}")
        logdet = x.new_zeros(x.shape[0])
        for layer in self.layers:
            x, ld = layer(x)
            logdet = logdet + ld
        return x, logdet

    def inverse(self, z: Tensor) -> Tensor:
        """z (N, D) -> x (N, D), the exact inverse of `transform`."""
        for layer in reversed(self.layers):
            z = layer.inverse(z)
        return z

    def nll(self, x: Tensor) -> Tensor:
        """Mean negative log-likelihood of x (N, D) in nats per dimension (a scalar)."""
        z, logdet = self.transform(x)
        return -(standard_normal_logprob(z) + logdet).mean() / x.shape[1]

    def forward(self, x: Tensor) -> Tensor:
        """(N, D) -> z (N, D): the Gaussian-space embedding BERT-flow compares with cosine."""
        return self.transform(x)[0]

    def fit(self, embeddings: Tensor | np.ndarray) -> Flow:
        """Train by maximum likelihood on embeddings (N, D) for `steps` Adam steps; returns self in eval mode."""
        device = self.layers[0].bias.device if len(self.layers) else torch.device("cpu")
        x = as_float64(embeddings).float()
        if self.dim is None:
            self._build(x.shape[1])
        self.to(device)
        x = x.to(device)
        generator = torch.Generator().manual_seed(self.seed)
        noise_std = self.noise * float(x.std(0).mean())
        optimizer = torch.optim.Adam(self.parameters(), lr=self.lr, weight_decay=self.weight_decay)
        self.train()
        self.loss_history = []
        with torch.enable_grad():
            for step in range(self.steps):
                idx = torch.randint(len(x), (min(self.batch_size, len(x)),), generator=generator)
                batch = x[idx.to(device)]
                if noise_std > 0:
                    batch = batch + noise_std * torch.randn(batch.shape, generator=generator).to(device)
                loss = self.nll(batch)
                if not torch.isfinite(loss):
                    raise FloatingPointError(f"flow training diverged at step {step} (loss {loss.item()}); "
                                             "lower postprocess.transform.lr")
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                self.loss_history.append(loss.item())
                if self.log_every and (step % self.log_every == 0 or step == self.steps - 1):
                    log.info("flow step %d/%d: nll %.4f nats/dim", step + 1, self.steps, self.loss_history[-1])
        self.eval()
        self.requires_grad_(False)
        return self
