"""A momentum (exponential moving average) copy of the encoder, for similarities computed without gradient.

MoCo (He et al., CVPR 2020) keeps such a copy as its key encoder; Chen et al. (ICLR 2022, "Incremental False
Negative Detection for Contrastive Learning") detect false negatives from embeddings that do not move with
every gradient step. After each optimizer step the copy moves towards the trained encoder:

    theta_m <- m * theta_m + (1 - m) * theta        (m = momentum in [0, 1); m = 0 copies the encoder)

The copy has no gradients, is never optimised, and always runs in eval mode (no dropout).
"""

from __future__ import annotations

import copy

import torch
from torch import Tensor, nn

from sentemb.errors import SettingError


class MomentumEncoder(nn.Module):
    """encoder: the trained SentenceEncoder (copied at construction); momentum m in [0, 1)."""

    def __init__(self, encoder: nn.Module, momentum: float):
        super().__init__()
        if not 0.0 <= momentum < 1.0:
            raise SettingError(f"sampler.momentum must be in [0, 1) or null, got {momentum}")
        self.momentum = float(momentum)
        self.encoder = copy.deepcopy(encoder).requires_grad_(False).eval()

    def train(self, mode: bool = True) -> MomentumEncoder:
        super().train(mode)
        self.encoder.eval()  # never dropout: its similarities are a stable reference
        return self

    @torch.no_grad()
    def update(self, online: nn.Module) -> None:
        """Move every parameter (and float buffer) towards `online`'s, which has the same architecture."""
        for target, source in ((self.encoder.parameters(), online.parameters()),
                               (self.encoder.buffers(), online.buffers())):
            for mine, theirs in zip(target, source, strict=True):
                if mine.dtype.is_floating_point:
                    mine.mul_(self.momentum).add_(theirs.detach(), alpha=1.0 - self.momentum)

    @torch.no_grad()
    def embed(self, input_ids: Tensor, attention_mask: Tensor) -> Tensor:
        """(B, V, L) token blocks -> (B, V, D) embeddings without gradient."""
        b, v, length = input_ids.shape
        flat = self.encoder(input_ids.reshape(b * v, length), attention_mask.reshape(b * v, length))
        return flat.view(b, v, -1)
