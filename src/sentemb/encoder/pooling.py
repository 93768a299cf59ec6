"""Pooling of token states into one sentence vector.

Semantics follow SimCSE's evaluation script (Gao et al., 2021):
- ``cls``: the backbone's pooler output (BERT: dense + tanh over the [CLS] state);
- ``cls_before_pooler``: the last-layer [CLS] state;
- ``mean`` / ``max``: masked mean / max over the last layer;
- ``first_last_avg``: masked mean of (first transformer layer + last layer) / 2 (as BERT-flow/whitening);
- ``last2avg``: masked mean of (second-to-last + last layer) / 2.
"""

from __future__ import annotations

import torch
from torch import Tensor

from sentemb.errors import SettingError

POOLINGS = ("cls", "cls_before_pooler", "mean", "max", "first_last_avg", "last2avg")
NEEDS_HIDDEN_STATES = {"first_last_avg", "last2avg"}


def unused_pooler(model, pooling: str):
    """The backbone's pooler layer (BERT/RoBERTa `model.pooler`) when `pooling` does not use it, else None.

    Only `cls` reads `pooler_output`; with any other pooling the pooler's parameters get no gradient, and
    DDP (which expects a gradient for every trainable parameter) stops with "parameters that were not used
    in producing the loss". The encoder freezes such a pooler (`requires_grad=False`) rather than deleting
    it: its weights stay in the saved model, so the checkpoint still loads with `pooling=cls`.
    """
    pooler = getattr(model, "pooler", None)
    return pooler if pooling != "cls" and isinstance(pooler, torch.nn.Module) else None


def check_pooling(name: str) -> str:
    if name not in POOLINGS:
        raise SettingError(f"model.pooling='{name}' is not a known pooling; allowed: {', '.join(POOLINGS)}")
    return name


def _masked_mean(states: Tensor, mask: Tensor) -> Tensor:
    m = mask.unsqueeze(-1).to(states.dtype)
    return (states * m).sum(1) / m.sum(1).clamp_min(1.0)


def pool(name: str, outputs, attention_mask: Tensor) -> Tensor:
    """Pool backbone `outputs` (last_hidden_state (N, L, H), optional hidden_states, pooler_output)
    with `attention_mask` (N, L) into sentence vectors (N, H)."""
    last = outputs.last_hidden_state
    if name == "cls":
        pooled = getattr(outputs, "pooler_output", None)
        if pooled is None:
            raise SettingError(
                "model.pooling='cls' uses the backbone's pooler layer, which this backbone does not have; "
                "use model.pooling=cls_before_pooler"
            )
        return pooled
    if name == "cls_before_pooler":
        return last[:, 0]
    if name == "mean":
        return _masked_mean(last, attention_mask)
    if name == "max":
        neg = torch.finfo(last.dtype).min
        return last.masked_fill(~attention_mask.bool().unsqueeze(-1), neg).max(1).values
    if name == "first_last_avg":
        hs = outputs.hidden_states
        return _masked_mean((hs[1] + hs[-1]) / 2.0, attention_mask)
    if name == "last2avg":
        hs = outputs.hidden_states
        return _masked_mean((hs[-2] + hs[-1]) / 2.0, attention_mask)
    raise SettingError(check_pooling(name))
