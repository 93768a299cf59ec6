"""Base classes holding the defaults of the contracts' optional members (`sentemb.contracts`).

Subclass the one of your piece and override only what it changes: shared code reads every member of a
protocol directly, so a piece that subclasses its base meets the protocol's member list. Each base is a few
class attributes and no-op methods; none implements the piece's own call.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from types import MappingProxyType

from torch import nn


class SamplerBase:
    """Defaults of a `Sampler` (group `sampler`): produces nothing optional, needs no labels, no temperature,
    no text ids and no momentum encoder; works with any batch size the loss accepts.

    Subclasses define `__call__(embeddings (B, V, D), labels (B,) or None) -> ContrastivePairs`.
    """

    config_name: str | None = None  # the option's name in error messages; None: the class name
    produces: Mapping[str, str] = MappingProxyType({})  # optional ContrastivePairs field -> the setting asking for it
    requires_labels: str | None = None  # "class" | "pair" | None: labels needed in every batch
    missing_temperature: bool = False  # True: weighs negatives with a temperature the loss does not have
    uses_text_ids: bool = False  # True: also called with text_ids= (B, V) and detect_embeddings= (with momentum)
    momentum: float | None = None  # not None: a momentum encoder (EMA factor) embeds the batch for detect_embeddings

    def min_batch_size(self) -> int:
        """The smallest data.batch_size this sampler can work with."""
        return 1


class LossBase(nn.Module):
    """Defaults of a `Loss` (group `loss`): uses no optional ContrastivePairs field, needs no NLI triplets,
    has no layers sized by the encoder.

    Subclasses define `forward(pairs: ContrastivePairs) -> scalar Tensor`.
    """

    config_name: str | None = None  # the option's name in error messages; None: the class name
    consumes: frozenset[str] = frozenset()  # optional ContrastivePairs fields it uses
    requires: frozenset[str] = frozenset()  # of those, the ones it cannot do without
    requires_hard_negatives: str | None = None  # None, or the setting that makes it need NLI triplets

    def set_embedding_dim(self, dim: int) -> None:
        """Called once with the encoder's width D before training (losses with layers of their own)."""


class BatchBuilderBase:
    """Defaults of a `BatchBuilder` (`model.batch_builder`): ignores the data loader's sampler.

    Subclasses define `__call__(rows: list[dict]) -> Batch`.
    """

    def bind_sampler(self, sampler) -> None:
        """Called with the data loader's sampler when the loader is made (its `epoch` can seed augmentations)."""


class EvaluatorBase:
    """Defaults of an `Evaluator` (an entry of `eval`): no sentences to encode ahead, no aggregation mode.

    Subclasses define `__call__(encode) -> {score: value}`.
    """

    sentences: Sequence[str] = ()  # every sentence it encodes, prefetched in one pass with the other evaluators'
    aggregation: str | None = None  # how it aggregates subsets (written into results.json when not None)


class DataModuleBase:
    """Defaults of what a training data module provides (read by the start-up checks): no labels, no NLI
    triplets. Mixed into `TextDataModule` and `ViewsDataModule`."""

    provides_labels: str | None = None  # "class" | "pair" | None
    provides_hard_negatives: bool = False
