"""BERT-flow (Li et al., EMNLP 2020, "On the Sentence Embeddings from Pre-trained Language Models"): a Glow
trained by maximum likelihood to map frozen sentence embeddings to a standard Gaussian; sentences are then
compared (cosine) in the Gaussian latent space. Reference: the release bohanli/BERT-flow, which runs Glow on the
embedding reshaped to (1, 1, D) (flow/glow_1x1.py:56), so each convolution is a D x D linear map.

    level l = 0..levels-1:  x <- (ActNorm -> Permutation -> Coupling) x depth                (revnet, on width D_l)
                            if l < levels-1: x, eps_l = x[:, :D_l - D_l//2], x[:, D_l - D_l//2:]   (split)
    z = concat(eps_0, ..., eps_{levels-2}, x)      (N, D)              (glow_1x1.py:84; glow_ops_1x1.py:786-855)
    log p(x) = sum_l log N(eps_l; 0, I) + log N(x_top; 0, I) + log |det df/dx|  (priors: standard normal,
               glow_ops_1x1.py:629-657 and 883-903; "top_prior": "normal")
    loss = -mean log p(x) / (D ln 2)   (bits per dimension, glow_1x1.py:80-82)

Release defaults (flow/config/config_l3_d3_w32.json, the default of run_siamese.py:127): 3 levels of depth 3,
additive coupling of width 32, the permutation a fixed channel reversal ("permutation": true). Training
(README: --flow_learning_rate=1e-3 --num_train_epochs=1.0; run_siamese.py:97 batches of 32 sentence pairs;
optimization_bert_flow.py:80-94): see flow_training.py.

Degenerate inputs (a deviation from the release): a constant input dimension makes maximum likelihood
unbounded. all-MiniLM-L6-v2's mean-pooled embeddings have 3 (stds 1e-32, 1e-32, 2e-9 against a mean of 0.27);
actnorm's init scales them by ~1e6, the gradient norm overflows, and without noise the release's flow does not
learn at all (training now stops with an error there). `noise` (default 0.01; the release has none) adds fresh
Gaussian noise of std noise x (mean per-dimension std of the fitting data) to each training batch (the
dequantisation trick of flows); on first_last_avg embeddings, which have no such dimension, noise 0 and 0.01
give the same scores (experiments/bert_flow/README.md).
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import torch
from torch import Tensor, nn

from sentemb.encoder.postprocess.flow_coupling import COUPLINGS
from sentemb.encoder.postprocess.flow_layers import PERMUTATIONS, ActNorm, standard_normal_logprob
from sentemb.encoder.postprocess.flow_training import train_flow
from sentemb.encoder.postprocess.whitening import as_float64
from sentemb.errors import SettingError


class Flow(nn.Module):
    """x (N, D) -> z (N, D), an invertible map fitted so that z ~ N(0, I).

    Args (postprocess.transform.<name>):
        levels, depth: `levels` blocks of `depth` (actnorm, permutation, coupling) steps; after every block but
            the last, half of the dimensions are factored out as latents (split).
        coupling: additive (release) | affine.   hidden: width of each coupling's network.
        permutation: reverse (release: a fixed channel reversal) | lu (Glow's learnt LU-parametrised linear map).
        epochs: passes over the fitting sentences; steps: if set, the number of steps instead.
        batch_size, lr, weight_decay, grad_clip: the optimiser (flow_training.py).
        noise: training-noise std relative to the data's mean per-dimension std (module docstring).
        seed: seeds the layer initialisation, batch order and noise.
        dim: input width D; given when loading a saved flow, else set by `fit`.
    """

    def __init__(self, levels: int = 3, depth: int = 3, coupling: str = "additive", hidden: int = 32,
                 permutation: str = "reverse", epochs: float = 1.0, steps: int | None = None, batch_size: int = 64,
                 lr: float = 1e-3, weight_decay: float = 0.01, grad_clip: float = 0.5, noise: float = 0.01,
                 seed: int = 0, dim: int | None = None, log_every: int = 100):
        super().__init__()
        for name, value in (("levels", levels), ("depth", depth), ("hidden", hidden), ("batch_size", batch_size),
                            ("steps", 1 if steps is None else steps)):
            if int(value) < 1:
                raise SettingError(f"postprocess.transform.{name} must be >= 1, got {value}")
        for name, value, choices in (("coupling", coupling, COUPLINGS), ("permutation", permutation, PERMUTATIONS)):
            if value not in choices:
                raise SettingError(f"postprocess.transform.{name}={value!r}; allowed: {', '.join(choices)}")
        for name, value in (("lr", lr), ("epochs", epochs)):
            if float(value) <= 0:
                raise SettingError(f"postprocess.transform.{name} must be > 0, got {value}")
        for name, value in (("noise", noise), ("grad_clip", grad_clip), ("weight_decay", weight_decay)):
            if float(value) < 0:
                raise SettingError(f"postprocess.transform.{name} must be >= 0, got {value}")
        self.levels, self.depth, self.coupling, self.hidden = int(levels), int(depth), str(coupling), int(hidden)
        self.permutation, self.epochs = str(permutation), float(epochs)
        self.steps = None if steps is None else int(steps)
        self.batch_size, self.lr, self.weight_decay = int(batch_size), float(lr), float(weight_decay)
        self.grad_clip, self.noise, self.seed, self.log_every = float(grad_clip), float(noise), int(seed), int(log_every)
        self.dim: int | None = None
        self.blocks = nn.ModuleList()
        self.loss_history: list[float] = []
        if dim is not None:
            self._build(int(dim))

    def _build(self, dim: int) -> None:
        widths = [dim]
        for _ in range(self.levels - 1):
            widths.append(widths[-1] - widths[-1] // 2)
        if widths[-1] < 2:
            raise ValueError(f"postprocess.transform.levels={self.levels} halves width {dim} down to {widths[-1]}; "
                             "a coupling needs >= 2 dimensions: use fewer levels")
        self.dim, self.widths = dim, widths
        with torch.random.fork_rng():
            torch.manual_seed(self.seed)
            self.blocks = nn.ModuleList(
                nn.ModuleList(layer for _ in range(self.depth) for layer in (
                    ActNorm(w), PERMUTATIONS[self.permutation](w), COUPLINGS[self.coupling](w, self.hidden)))
                for w in widths)

    @property
    def output_dim(self) -> int:
        return int(self.dim or 0)

    def cap_steps(self, steps: int) -> None:
        """Train at most `steps` steps (a fast_dev_run's smoke fit)."""
        self.steps = min(self.steps or steps, steps)

    def fit_info(self) -> dict[str, Any]:
        """What the fit did, for results.json: the NLL of the first step and the mean of the last 20."""
        hist = self.loss_history
        return {"flow_nll_first_last": [hist[0], float(sum(hist[-20:]) / len(hist[-20:]))]} if hist else {}

    def config(self) -> dict[str, Any]:
        """The constructor arguments that rebuild this flow (saved as json beside the weights)."""
        return {"levels": self.levels, "depth": self.depth, "coupling": self.coupling, "hidden": self.hidden,
                "permutation": self.permutation, "epochs": self.epochs, "steps": self.steps,
                "batch_size": self.batch_size, "lr": self.lr, "weight_decay": self.weight_decay,
                "grad_clip": self.grad_clip, "noise": self.noise, "seed": self.seed, "dim": self.dim,
                "log_every": self.log_every}

    def transform(self, x: Tensor) -> tuple[Tensor, Tensor]:
        """x (N, D) -> (z (N, D) = concat(eps_0, ..., x_top), log |det dz/dx| (N,))."""
        if self.dim is None:
            raise RuntimeError("Flow is not fitted: call fit(embeddings) first (or load a saved flow)")
        if x.shape[-1] != self.dim:
            raise ValueError(f"the flow was fitted on width {self.dim}, got inputs of width {x.shape[-1]}")
        logdet, latents = x.new_zeros(x.shape[0]), []
        for level, block in enumerate(self.blocks):
            for layer in block:
                x, ld = layer(x)
                logdet = logdet + ld
            if level < self.levels - 1:
                keep = self.widths[level + 1]
                latents.append(x[:, keep:])
                x = x[:, :keep]
        return torch.cat([*latents, x], dim=1), logdet

    def inverse(self, z: Tensor) -> Tensor:
        """z (N, D) -> x (N, D), the exact inverse of `transform`."""
        factored = [w - self.widths[i + 1] for i, w in enumerate(self.widths[:-1])]
        bounds = np.cumsum([0, *factored]).tolist()
        x = z[:, bounds[-1]:]
        for level in reversed(range(self.levels)):
            if level < self.levels - 1:
                x = torch.cat([x, z[:, bounds[level]:bounds[level + 1]]], dim=1)
            for layer in reversed(self.blocks[level]):
                x = layer.inverse(x)
        return x

    def nll(self, x: Tensor) -> Tensor:
        """Mean negative log-likelihood of x (N, D) in bits per dimension (a scalar)."""
        z, logdet = self.transform(x)
        return -(standard_normal_logprob(z) + logdet).mean() / (x.shape[1] * math.log(2))

    def forward(self, x: Tensor) -> Tensor:
        """(N, D) -> z (N, D): the Gaussian-space embedding BERT-flow compares with cosine."""
        return self.transform(x)[0]

    def fit(self, embeddings: Tensor | np.ndarray) -> Flow:
        """Train by maximum likelihood on embeddings (N, D); returns self in eval mode without gradients."""
        x = as_float64(embeddings)
        if self.dim is None:
            self._build(x.shape[1])
        param = next(self.parameters())
        x = x.to(param.device, param.dtype)
        steps = self.steps or max(1, math.ceil(self.epochs * len(x) / self.batch_size))
        noise_std = self.noise * float(x.std(0).mean())
        self.loss_history = train_flow(self, self.nll, x, steps, self.batch_size, self.lr, self.weight_decay,
                                       self.grad_clip, noise_std, self.seed, self.log_every)
        self.eval()
        self.requires_grad_(False)
        return self
