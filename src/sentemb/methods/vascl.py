"""VaSCL: Virtual augmentation Supported Contrastive Learning (Zhang et al., Findings of ACL 2022, "Virtual
Augmentation Supported Contrastive Learning of Sentence Representations"), as released in
amazon-science/sentence-representations, VaSCL/ (files and lines below are of that repository).

With e1, e2 (B, H) the mean-pooled embeddings of the two dropout views, nbr (B, k) each anchor's k in-batch
neighbours (`sentemb.samplers.knn`, ranked on e1), g the projection head and f(x) = g(x) / |g(x)|:

    L = NT-Xent(f(e1), f(e2))                                   pairwise term, 2B rows, 2B - 2 negatives each
      + L_bi(sg f(e1), f(sg e1 + eps * d), nbr)                 virtual term (skipped when eps = 0)

    d = normalize(grad_d L_uni(sg f(e1), f(sg e1 + xi * d0), nbr)),   d0 uniform in [-0.5, 0.5]^H, normalized

where sg stops the gradient. Gradient paths, as released: the encoder learns from the pairwise term only;
the head from both terms (training.py:111-119, vat_utils.py:50-74: the perturbation is computed on
`embeddings.detach()`, the virtual term's anchor features under `torch.no_grad()`, d is a constant).

* Projection head g: Linear(H, H, bias=False) - ReLU - Linear(H, 128, bias=False) (models/Transformers.py:
  15-18), trained at model.lr * head_lr_scale (utils/optimizer.py:13-15; main.py:65 default 100, the
  README's command 100000) through `sentemb.methods.optim.LRScaled`. It is a submodule of this loss, so it
  is trained and checkpointed but not exported: the released model is evaluated on e1 (Transformers.py:21).
* NT-Xent (learners/contrastive_utils.py:12-27): rows f(e1_i) and f(e2_i), positive the other view, the
  other 2B - 2 features of both views as negatives; mean over 2B rows.
* L_uni (VaSCL_NUniDir, contrastive_utils.py:36-52), per anchor: -log e^{a_i.v_i} / (e^{a_i.v_i} +
  sum_{j in nbr(i)} e^{v_i.a_j}), similarities / tau, mean over B.
* L_bi (VaSCL_NBiDir, contrastive_utils.py:61-81): a_i and v_i positives of each other; the neighbours'
  anchors and virtual augmentations negatives of both; mean over 2B rows.
* eps (main.py:75, default 15) and xi (= eps, training.py:34) are norms in the space of e1, before the head.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn
from torch.nn.functional import normalize, softplus

from sentemb.bases import LossBase
from sentemb.errors import SettingError
from sentemb.losses.infonce import check_temperature
from sentemb.methods.optim import LRScaled
from sentemb.samplers.pairs import ContrastivePairs

# a row "acts" while its positive holds less than 99.9 % of the row's softmax mass (its gradient is not ~0)
ACTIVE_ROW_LOSS = 1e-3
# a perturbation "acts" when it keeps at least half its norm: the released "+ 1e-8" in the normalisation
# (vat_utils.py:21) shrinks the direction of an anchor whose adversarial gradient is below ~1e-8
ACTIVE_DIRECTION_NORM = 0.5


class ProjectionHead(nn.Sequential):
    """(N, H) -> (N, out_dim): Linear(H, H, bias=False) - ReLU - Linear(H, out_dim, bias=False)."""

    def __init__(self, hidden_size: int, out_dim: int = 128):
        super().__init__(nn.Linear(hidden_size, hidden_size, bias=False), nn.ReLU(),
                         nn.Linear(hidden_size, out_dim, bias=False))


def nt_xent(f1: Tensor, f2: Tensor, temperature: float) -> Tensor:
    """Unit features f1, f2 (B, d) -> (2B,) per-row losses of the symmetric NT-Xent with 2B - 2 negatives."""
    b = f1.shape[0]
    feats = torch.cat([f1, f2])
    logits = (feats @ feats.T / temperature).masked_fill(torch.eye(2 * b, dtype=torch.bool, device=f1.device),
                                                         float("-inf"))
    pos = torch.cat([(f1 * f2).sum(-1), (f1 * f2).sum(-1)]) / temperature
    return torch.logsumexp(logits, dim=1) - pos  # the partner's column holds pos: denominator e^pos + negatives


def _nce(pos: Tensor, neg: Tensor) -> Tensor:
    """pos (N, 1), neg (N, m) logits -> (N,) -log(e^pos / (e^pos + sum e^neg)), as softplus(logsumexp(neg -
    pos)) so that small losses keep their precision in float32."""
    return softplus(torch.logsumexp(neg - pos, dim=1))


def uni_neighbourhood_loss(a: Tensor, v: Tensor, neighbours: Tensor, temperature: float) -> Tensor:
    """Unit anchor features a, virtual features v (B, d), neighbours (B, k) -> (B,) L_uni per anchor."""
    pos = (a * v).sum(-1, keepdim=True) / temperature
    neg = torch.einsum("bd,bkd->bk", v, a[neighbours]) / temperature
    return _nce(pos, neg)


def bi_neighbourhood_loss(a: Tensor, v: Tensor, neighbours: Tensor, temperature: float) -> Tensor:
    """Unit a, v (B, d), neighbours (B, k) -> (2B,) L_bi per row: anchor rows, then virtual rows."""
    a_n, v_n = a[neighbours], v[neighbours]
    pos = (a * v).sum(-1, keepdim=True) / temperature
    rows = [torch.cat([torch.einsum("bd,bkd->bk", x, a_n), torch.einsum("bd,bkd->bk", x, v_n)], 1) / temperature
            for x in (a, v)]
    return torch.cat([_nce(pos, rows[0]), _nce(pos, rows[1])])


def random_start(inputs: Tensor) -> Tensor:
    """(B, H) float32 directions uniform in [-0.5, 0.5]^H, normalised per row (vat_utils.py:56-57)."""
    d = torch.rand(inputs.shape, device=inputs.device) - 0.5
    return d / (d.norm(dim=-1, keepdim=True) + 1e-8)


class VaSCLLoss(LossBase):
    """ContrastivePairs of two dropout views with `neighbours` (sampler=knn) -> scalar (see module docstring).

    Args:
        temperature: > 0, of every term (main.py:73: 0.05).
        eps: >= 0, norm of the virtual perturbation of the embeddings (main.py:75: 15); 0 = pairwise term only.
        xi: > 0 or None (= eps, training.py:34): norm of the random probe from which d is computed.
        head_dim: output size of the projection head (Transformers.py:13: 128).
        head_lr_scale: > 0, the head's learning rate is model.lr * head_lr_scale (main.py:65: 100).
        embedding_dim: input size of the head; None = set from the encoder (`set_embedding_dim`).

    Logged through `pairs.stats` (train/loss/vascl_pairwise, train/loss/vascl_virtual: the two terms) and
    `pairs.activity` (train/loss/vascl_pairwise_active, train/loss/vascl_virtual_active: share of rows whose
    loss exceeds ACTIVE_ROW_LOSS; train/loss/vascl_perturbation_active: share of anchors whose perturbation
    keeps at least half of eps).
    """

    config_name = "vascl"
    consumes = frozenset({"neighbours"})
    requires = frozenset({"neighbours"})

    def __init__(self, temperature: float = 0.05, eps: float = 15.0, xi: float | None = None, head_dim: int = 128,
                 head_lr_scale: float = 100.0, embedding_dim: int | None = None):
        super().__init__()
        self.temperature = check_temperature(temperature)
        if not eps >= 0:
            raise SettingError(f"loss.eps must be >= 0, got {eps}")
        if xi is not None and not xi > 0:
            raise SettingError(f"loss.xi must be > 0 or null (= loss.eps), got {xi}")
        if int(head_dim) != head_dim or head_dim < 1:
            raise SettingError(f"loss.head_dim must be a positive integer, got {head_dim}")
        if not head_lr_scale > 0:
            raise SettingError(f"loss.head_lr_scale must be > 0, got {head_lr_scale}")
        self.eps, self.xi = float(eps), float(eps if xi is None else xi)
        self.head_dim, self.head_lr_scale = int(head_dim), float(head_lr_scale)
        self.head: LRScaled | None = None
        if embedding_dim is not None:
            self.set_embedding_dim(embedding_dim)

    def set_embedding_dim(self, dim: int) -> None:
        """Build the projection head on `dim`-dimensional embeddings; a no-op if it exists with that size."""
        if self.head is not None:
            if self.head.module[0].in_features != dim:
                raise SettingError(f"loss.embedding_dim={self.head.module[0].in_features} but the encoder gives "
                                 f"{dim}-dimensional embeddings")
            return
        self.head = LRScaled(ProjectionHead(int(dim), self.head_dim), self.head_lr_scale)

    def project(self, x: Tensor) -> Tensor:
        """(N, H) embeddings -> (N, head_dim) unit features (Transformers.py:47-53)."""
        if self.head is None:
            raise RuntimeError("VaSCLLoss has no projection head yet: pass embedding_dim or call set_embedding_dim "
                               "(ContrastiveModule does this)")
        return normalize(self.head(x), dim=-1)

    def direction(self, inputs: Tensor, anchor_feats: Tensor, neighbours: Tensor) -> Tensor:
        """(B, H) detached embeddings -> (B, H) directions d, constants (vat_utils.py:55-70)."""
        d = random_start(inputs).requires_grad_(True)
        with torch.enable_grad():
            probe = uni_neighbourhood_loss(anchor_feats, self.project(inputs + self.xi * d), neighbours,
                                           self.temperature).mean()
            (grad,) = torch.autograd.grad(probe, d)
        return grad / (grad.norm(dim=-1, keepdim=True) + 1e-8)

    def virtual_term(self, anchors: Tensor, neighbours: Tensor) -> tuple[Tensor, Tensor]:
        """anchors (B, H), neighbours (B, k) -> ((2B,) L_bi per row, (B, H) directions d). Only the head
        gets gradient from it."""
        inputs = anchors.detach()
        with torch.no_grad():
            anchor_feats = self.project(inputs)
        d = self.direction(inputs, anchor_feats, neighbours)
        virtual = self.project(inputs + self.eps * d)
        return bi_neighbourhood_loss(anchor_feats, virtual, neighbours, self.temperature), d

    def forward(self, pairs: ContrastivePairs) -> Tensor:
        if pairs.neighbours is None:
            raise SettingError("loss=vascl needs the sampler's neighbourhoods: use sampler=knn")
        b = pairs.anchors.shape[0]
        if pairs.candidates.shape[0] != b or not bool(pairs.positive_mask.diagonal().all()):
            raise SettingError(f"loss=vascl takes two views per example (candidate i the positive of anchor i); got "
                             f"{b} anchors and {pairs.candidates.shape[0]} candidates: use a model with dropout "
                             "pairs (model=vascl, model=simcse_unsup), not NLI triplets")
        pairwise = nt_xent(self.project(pairs.anchors), self.project(pairs.candidates), self.temperature)
        loss = pairwise.mean()
        stats = {"loss/vascl_pairwise": float(loss.detach())}
        activity = {"loss/vascl_pairwise": float((pairwise > ACTIVE_ROW_LOSS).float().mean())}
        if self.eps > 0:  # training.py:116
            virtual, d = self.virtual_term(pairs.anchors, pairs.neighbours)
            loss = loss + virtual.mean()
            stats["loss/vascl_virtual"] = float(virtual.detach().mean())
            activity["loss/vascl_virtual"] = float((virtual > ACTIVE_ROW_LOSS).float().mean())
            activity["loss/vascl_perturbation"] = float((d.norm(dim=-1) >= ACTIVE_DIRECTION_NORM).float().mean())
        pairs.stats = {**(pairs.stats or {}), **stats}
        pairs.activity = {**(pairs.activity or {}), **activity}
        return loss


__all__ = ["ProjectionHead", "VaSCLLoss", "bi_neighbourhood_loss", "nt_xent", "uni_neighbourhood_loss"]
