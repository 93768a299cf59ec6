"""The contract of auxiliary objectives, which `ContrastiveModule(auxiliary={name: objective})` adds to its
main loss.

An objective is an `AuxiliaryObjective`: an nn.Module with a float `weight` (>= 0; 0 = not computed),
`bind(encoder)` (called once by ContrastiveModule at construction: objectives with layers built on the
backbone, such as the MLM head, build them there; a no-op by default) and

    forward(module, batch, embeddings) -> AuxiliaryTerm

where `module` is the ContrastiveModule (its `embed`, `encoder`, and `gather`: every process's rows, with
gradients), `batch` the `Batch` and `embeddings`
(B, V, D) this process's embeddings of the main views. The module adds weight * term.loss to the loss, logs
train/aux/<name> and train/aux/<name>_active, and watches the activity for a term that never acts
(`sentemb.methods.activity`). Methods' objectives: sentemb.methods.arccse (the triple-wise term),
sentemb.methods.mlm.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

from torch import Tensor, nn

from sentemb.errors import SettingError


@dataclass
class AuxiliaryTerm:
    """What an auxiliary objective returns for one step.

    loss: scalar tensor (with gradient) the module adds, weighted.
    activity: share in [0, 1] of the term's units that contributed this step (hinges > 0, sequences with a
        masked token, ...); 0 = the term did nothing (no gradient).
    stats: informative figures, logged as train/aux/<name>/<key>.
    """

    loss: Tensor
    activity: float
    stats: dict[str, float] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.activity = float(self.activity)
        if not 0.0 <= self.activity <= 1.0:
            raise ValueError(f"AuxiliaryTerm.activity must be a share in [0, 1], got {self.activity}")


class AuxiliaryObjective(nn.Module):
    """Base of auxiliary objectives: holds the validated `weight`; `bind` does nothing unless overridden.

    Subclasses implement `forward(module, batch, embeddings) -> AuxiliaryTerm`.
    """

    def __init__(self, weight: float, setting: str):
        super().__init__()
        self.weight = check_weight(weight, f"{setting}.weight")

    def bind(self, encoder) -> None:
        """Called once with the module's SentenceEncoder before training."""


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
