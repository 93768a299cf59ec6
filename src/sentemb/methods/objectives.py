"""Auxiliary objectives that `ContrastiveModule(auxiliary={name: objective})` adds to its main loss.

An objective is an nn.Module with a float `weight` and `forward(module, batch, embeddings) -> scalar`,
where `module` is the ContrastiveModule (its `embed` and `encoder`), `batch` the `Batch` and `embeddings`
(B, V, D) this process's embeddings of the main views. The module adds weight * term to the loss.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from torch import Tensor, nn

from sentemb.data.arccse_batches import ArcCSEBatchBuilder
from sentemb.data.batches import Batch
from sentemb.errors import SettingError
from sentemb.losses.angular_triplet import angular_triplet_loss
from sentemb.losses.arccon import check_margin


@contextmanager
def dropout_off(module: nn.Module) -> Iterator[None]:
    """Put `module` and its children in eval mode (dropout off) and restore each one's mode afterwards.

    Only the mode changes: gradients still flow, so the encoder trains through what is computed inside.
    """
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        yield
    finally:
        for m, training in modes:
            m.training = training


def check_weight(weight: float, name: str) -> float:
    weight = float(weight)
    if not weight >= 0.0:
        raise SettingError(f"{name} must be >= 0, got {weight}")
    return weight


class AngularTripletObjective(nn.Module):
    """ArcCSE's triple-wise term (Zhang et al., ACL 2022): mean max(0, theta(s,s') - theta(s,s'') + margin).

    Encodes the batch's masked-span triplets `extra["triplet_input_ids"]` (B, 3, L) from
    `ArcCSEBatchBuilder` in one forward pass -> (B, 3, D) -> `angular_triplet_loss`.

    Args:
        weight: lambda, the term's weight in the total loss (ArcCSE: 0.1; `model.triplet_weight`). >= 0.
        margin: the angular margin in radians, in [0, pi/2] (default 0).
        dropout: encode the triplets with dropout on; False (default) switches the backbone to eval mode
            for that forward pass, so s, s' and s'' differ only by their masks.
    """

    def __init__(self, weight: float = 0.1, margin: float = 0.0, dropout: bool = False):
        super().__init__()
        self.weight = check_weight(weight, "model.triplet_weight")
        self.margin = check_margin(margin, "model.auxiliary.triplet.margin")
        self.dropout = bool(dropout)

    def encode(self, module, batch: Batch) -> Tensor:
        """-> (B, 3, D) embeddings of (s, s', s'')."""
        ids, mask = ArcCSEBatchBuilder.triplet_block(batch)
        triplet = Batch(input_ids=ids, attention_mask=mask)
        if self.dropout:
            return module.embed(triplet)
        with dropout_off(module.encoder.model):
            return module.embed(triplet)

    def forward(self, module, batch: Batch, embeddings: Tensor) -> Tensor:
        return angular_triplet_loss(self.encode(module, batch), self.margin)

    def extra_repr(self) -> str:
        return f"weight={self.weight}, margin={self.margin}, dropout={self.dropout}"
