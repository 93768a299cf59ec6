"""AdamW with linear warm-up and linear decay to zero (the Hugging Face Trainer default SimCSE used)."""

from __future__ import annotations

import torch
from torch import nn

from sentemb.errors import SettingError


def adamw_linear_schedule(
    module: nn.Module, lr: float, weight_decay: float, warmup_ratio: float, total_steps: int
) -> dict:
    """Lightning `configure_optimizers` dict; no weight decay on biases and LayerNorm weights."""
    if lr <= 0:
        raise SettingError(f"model.lr must be > 0, got {lr}")
    if not 0 <= warmup_ratio < 1:
        raise SettingError(f"model.warmup_ratio must be in [0, 1), got {warmup_ratio}")
    decay, no_decay = [], []
    for name, param in module.named_parameters():
        if param.requires_grad:
            (no_decay if param.ndim < 2 or "LayerNorm" in name or "norm" in name.lower() else decay).append(param)
    optimizer = torch.optim.AdamW(
        [{"params": decay, "weight_decay": weight_decay}, {"params": no_decay, "weight_decay": 0.0}], lr=lr
    )
    total = max(1, int(total_steps))
    warmup = int(warmup_ratio * total)

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / max(1, warmup)
        return max(0.0, (total - step) / max(1, total - warmup))

    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
    return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}
