"""Maximum-likelihood training of a flow as BERT-flow's release trains it (bohanli/BERT-flow,
optimization_bert_flow.py:80-94): BERT's AdamWeightDecayOptimizer at a constant learning rate (no warm-up or
decay for the flow, no Adam bias correction, decoupled weight decay 0.01, epsilon 1e-6), gradients clipped to a
global norm, random batches over `epochs` passes of the fitting sentences.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable, Iterator

import torch
from torch import Tensor, nn

log = logging.getLogger(__name__)


class AdamWeightDecay(torch.optim.Optimizer):
    """BERT's AdamWeightDecayOptimizer (optimization_bert_flow.py:107-174, update at 151-171; google-research/bert):
    m = b1 m + (1 - b1) g;  v = b2 v + (1 - b2) g^2;  p -= lr (m / (sqrt(v) + eps) + wd p).
    Unlike torch.optim.AdamW there is no bias correction, so the first steps are up to ~3x larger."""

    def __init__(self, params, lr: float, weight_decay: float = 0.01, betas=(0.9, 0.999), eps: float = 1e-6):
        super().__init__(params, {"lr": lr, "weight_decay": weight_decay, "betas": betas, "eps": eps})

    @torch.no_grad()
    def step(self, closure=None):  # noqa: ARG002 - torch's signature
        for group in self.param_groups:
            b1, b2 = group["betas"]
            for p in group["params"]:
                if p.grad is None:
                    continue
                state = self.state[p]
                if not state:
                    state["m"], state["v"] = torch.zeros_like(p), torch.zeros_like(p)
                m, v = state["m"], state["v"]
                m.mul_(b1).add_(p.grad, alpha=1 - b1)
                v.mul_(b2).addcmul_(p.grad, p.grad, value=1 - b2)
                update = m / (v.sqrt() + group["eps"]) + group["weight_decay"] * p
                p.add_(update, alpha=-group["lr"])


def batch_indices(n: int, batch_size: int, steps: int, generator: torch.Generator) -> Iterator[Tensor]:
    """`steps` index batches of min(batch_size, n) rows: consecutive slices of fresh random permutations."""
    size = min(batch_size, n)
    perm, pos = torch.randperm(n, generator=generator), 0
    for _ in range(steps):
        if pos + size > n:
            perm, pos = torch.randperm(n, generator=generator), 0
        yield perm[pos:pos + size]
        pos += size


def train_flow(module: nn.Module, loss_fn: Callable[[Tensor], Tensor], x: Tensor, steps: int, batch_size: int,
               lr: float, weight_decay: float, grad_clip: float, noise_std: float, seed: int,
               log_every: int = 0) -> list[float]:
    """Minimise loss_fn(batch) over `steps` batches of x (N, D); returns the loss of every step."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = AdamWeightDecay(module.parameters(), lr=lr, weight_decay=weight_decay)
    history: list[float] = []
    module.train()
    with torch.enable_grad():
        for step, idx in enumerate(batch_indices(len(x), batch_size, steps, generator)):
            batch = x[idx.to(x.device)]
            if noise_std > 0:
                batch = batch + noise_std * torch.randn(batch.shape, generator=generator).to(batch)
            loss = loss_fn(batch)
            if not math.isfinite(loss.item()):
                raise FloatingPointError(f"flow training diverged at step {step} (loss {loss.item()}); lower "
                                         "postprocess.transform.lr or raise postprocess.transform.noise")
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            norm = torch.nn.utils.clip_grad_norm_(module.parameters(), grad_clip if grad_clip > 0 else math.inf)
            if not math.isfinite(norm.item()):  # clipping would zero every update: the flow would not learn
                raise FloatingPointError(
                    f"flow gradients overflow at step {step} (norm {norm.item()}): the fitting embeddings have "
                    "(near-)constant dimensions; raise postprocess.transform.noise (e.g. 0.01)")
            optimizer.step()
            history.append(loss.item())
            if log_every and (step % log_every == 0 or step == steps - 1):
                log.info("flow step %d/%d: nll %.4f bits/dim", step + 1, steps, history[-1])
    return history
