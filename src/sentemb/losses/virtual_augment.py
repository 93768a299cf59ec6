"""VaSCL's virtual augmentations (Zhang et al., 2021) and the neighbourhood losses that define them.

Notation: anchors a (B, D), virtual augmentations v = a + eps * d with unit directions d (B, D), and
neighbours (B, k) indices into the anchors (`sentemb.samplers.knn`). Similarities are cosines / tau.

* `uni_neighbourhood_loss` (the released code's VaSCL_NUniDir): per anchor i,
      -log( e^{a_i.v_i} / (e^{a_i.v_i} + sum_{j in nbr(i)} e^{v_i.a_j}) ).
  A direction that raises it moves v_i away from its anchor and towards the anchor's neighbours:
  the "maximally confusing" virtual augmentation.
* `bi_neighbourhood_loss` (VaSCL_NBiDir): anchor and virtual augmentation as positives of each other,
  the neighbours and their virtual augmentations as negatives of both; mean over the 2B rows.
* `adversarial_direction`: as VaSCL_Pturb in amazon-science/sentence-representations: a random unit
  direction (uniform in [-0.5, 0.5]^D, normalised), one gradient step of the uni loss at a + xi * d,
  the gradient normalised to a unit direction.
* `sampled_direction`: n Gaussian unit directions, the one with the largest uni loss per anchor.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.nn.functional import normalize


def _scores(query: Tensor, keys: Tensor) -> Tensor:
    """query (B, D), keys (B, k, D) -> (B, k) dot products row by row."""
    return torch.einsum("bd,bkd->bk", query, keys)


def _nce(pos: Tensor, neg: Tensor) -> Tensor:
    """pos (B, 1), neg (B, k) logits -> (B,) -log(e^pos / (e^pos + sum e^neg)), written as
    softplus(logsumexp(neg - pos)) so that small losses keep their precision in float32."""
    return torch.nn.functional.softplus(torch.logsumexp(neg - pos, dim=1))


def uni_neighbourhood_loss(anchors: Tensor, virtual: Tensor, neighbours: Tensor, temperature: float) -> Tensor:
    """anchors, virtual (B, D), neighbours (B, k) -> (B,) per-anchor loss (see module docstring)."""
    a, v = normalize(anchors, dim=-1), normalize(virtual, dim=-1)
    pos = (a * v).sum(-1, keepdim=True) / temperature
    neg = _scores(v, a[neighbours]) / temperature
    return _nce(pos, neg)


def bi_neighbourhood_loss(anchors: Tensor, virtual: Tensor, neighbours: Tensor, temperature: float) -> Tensor:
    """anchors, virtual (B, D), neighbours (B, k) -> scalar mean over anchor rows and virtual rows."""
    a, v = normalize(anchors, dim=-1), normalize(virtual, dim=-1)
    a_n, v_n = a[neighbours], v[neighbours]
    pos = (a * v).sum(-1, keepdim=True) / temperature
    anchor_rows = torch.cat([pos, _scores(a, a_n) / temperature, _scores(a, v_n) / temperature], dim=1)  # (B, 1+2k)
    virtual_rows = torch.cat([pos, _scores(v, a_n) / temperature, _scores(v, v_n) / temperature], dim=1)
    rows = torch.cat([anchor_rows, virtual_rows], dim=0)
    return _nce(rows[:, :1], rows[:, 1:]).mean()


def random_unit(like: Tensor, generator: torch.Generator | None = None) -> Tensor:
    """(B, D) directions uniform in [-0.5, 0.5]^D, normalised per row (the released code's start)."""
    d = torch.rand(like.shape, generator=generator, dtype=like.dtype, device=like.device) - 0.5
    return d / (d.norm(dim=-1, keepdim=True) + 1e-8)


def adversarial_direction(anchors: Tensor, neighbours: Tensor, temperature: float, xi: float,
                          start: Tensor) -> Tensor:
    """(B, D) unit directions: one normalised gradient-ascent step of the uni loss from `start` (B, D),
    evaluated at anchors + xi * start. The anchors are treated as constants (detached)."""
    base = anchors.detach()
    d = start.detach().clone().requires_grad_(True)
    with torch.enable_grad():
        # the sum, not the mean: each row's gradient is its own anchor's, unscaled by 1/B (with a confident
        # anchor it is tiny, and the released code's "+ 1e-8" in the norm would shrink the step)
        loss = uni_neighbourhood_loss(base, base + xi * d, neighbours, temperature).sum()
        (grad,) = torch.autograd.grad(loss, d)
    norm = grad.norm(dim=-1, keepdim=True)
    return torch.where(norm > 0, grad / norm.clamp(min=torch.finfo(grad.dtype).tiny), start.detach())


def sampled_direction(anchors: Tensor, neighbours: Tensor, temperature: float, eps: float, n: int,
                      generator: torch.Generator | None = None) -> Tensor:
    """(B, D) unit directions: of n Gaussian unit candidates per anchor, the one whose augmentation
    anchors + eps * d has the largest uni loss."""
    base = anchors.detach()
    with torch.no_grad():
        cands = torch.randn((n, *base.shape), generator=generator, dtype=base.dtype, device=base.device)
        cands = normalize(cands, dim=-1)
        losses = torch.stack([uni_neighbourhood_loss(base, base + eps * c, neighbours, temperature)
                              for c in cands])  # (n, B)
        best = losses.argmax(dim=0)
        return cands[best, torch.arange(base.shape[0], device=base.device)]
