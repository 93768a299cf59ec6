"""The contracts a piece of sentemb meets, written once: what your own sampler, loss, auxiliary objective,
batch builder or evaluator must provide to plug in through a config's `_target_` (README "Extending sentemb").

Data flow of one training step (`sentemb.methods.contrastive.ContrastiveModule.training_step`):

    rows --BatchBuilder--> Batch (B, V, L) --encoder--> embeddings (B, V, D)
         --Sampler--> ContrastivePairs --Loss--> scalar (+ weight * AuxiliaryObjective(...) for each objective)

and after training, `Evaluator(encode) -> {score: value}` for each entry of the `eval` group.

Each protocol lists every member a piece has; shared code calls them directly, without probing. Most have
a default: subclass the protocol's base (`SamplerBase`, `LossBase`, `BatchBuilderBase`, `EvaluatorBase`,
`sentemb.methods.objectives.AuxiliaryObjective`; module `sentemb.bases`, re-exported here) and define only
the call and what differs. `isinstance(obj, Loss)` checks the member list; `check_contract` refuses, where
a piece is built, one that misses a member, naming the setting, the members and the base to subclass.
`ContrastivePairs` (samplers/pairs.py) and `Batch` (data/batches.py) are the two containers the pieces
exchange; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol, runtime_checkable

import numpy as np
from torch import Tensor

from sentemb.bases import BatchBuilderBase, DataModuleBase, EvaluatorBase, LossBase, SamplerBase
from sentemb.data.batches import Batch
from sentemb.errors import SettingError
from sentemb.samplers.pairs import ContrastivePairs

__all__ = ["AuxiliaryObjective", "Batch", "BatchBuilder", "BatchBuilderBase", "BatchBuilderFactory",
           "ContrastivePairs", "DataModuleBase", "Encode", "Evaluator", "EvaluatorBase", "Loss", "LossBase", "Sampler",
           "SamplerBase", "TrainingData", "check_contract", "protocol_members"]


@runtime_checkable
class Sampler(Protocol):
    """`group: sampler`. Decides which candidate is a positive of which anchor and how negatives weigh.

    __call__(embeddings (B, V, D) float, labels (B,) or None) -> ContrastivePairs
        Embeddings (and labels) are gathered across processes already (with gradients), so B is the global
        batch. The views are laid out by the batch builder (sentemb's builders: view 0 the anchor, views 1..
        its positives, then hard negatives). Fill `ContrastivePairs.stats` (name -> float, logged as train/<name>) with informative figures
        and `ContrastivePairs.activity` (name -> share in [0, 1] of the term's units that acted this step,
        logged as train/<name>_active; 0 = inert) for every term of yours that can do nothing.

    Members with a default in `SamplerBase` (read by `sentemb.samplers.compat` at start-up, before any data
    loads, and by `ContrastiveModule`):
        config_name: str | None         the option's name in error messages (None: the class name)
        produces: Mapping[str, str]     optional ContrastivePairs fields it fills (`tau_plus`, `negative_weight`,
                                        `neighbours`, `pair_labels`) -> the setting that asks for each; a loss
                                        that does not `consume` one of them is refused
        requires_labels: "class" | "pair" | None   labels it needs in every batch (checked against the data
                                        module's `provides_labels`)
        min_batch_size() -> int         smallest data.batch_size it can work with
        missing_temperature: bool       True when it needs a temperature the loss does not have
        uses_text_ids: bool             True: also called with `text_ids=` (B, V) long or None (ids of each
                                        view's normalised text), and `detect_embeddings=` (B, V, D) when
        momentum: float | None          is set (a momentum encoder, EMA with this factor, embeds the batch)
    """

    config_name: str | None
    produces: Mapping[str, str]
    requires_labels: str | None
    missing_temperature: bool
    uses_text_ids: bool
    momentum: float | None

    def min_batch_size(self) -> int: ...

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None) -> ContrastivePairs: ...


@runtime_checkable
class Loss(Protocol):
    """`group: loss`. An `nn.Module` (its parameters, if any, train and checkpoint with the encoder).

    forward(pairs: ContrastivePairs) -> scalar Tensor with gradient
        Reads `pairs.anchors` (N, D), `pairs.candidates` (M, D), `pairs.positive_mask` (N, M) bool (and
        `pairs.cosine()` (N, M)); the optional fields only when it declares them in `consumes`. It may add
        to `pairs.stats` / `pairs.activity` (the same object is logged after the loss), e.g. a hinge's share
        of active margins; create the dict when it is None.

    Members with a default in `LossBase` (read by `sentemb.samplers.compat` and `ContrastiveModule.__init__`):
        config_name: str | None         the option's name in error messages (None: the class name)
        consumes: frozenset[str]        optional ContrastivePairs fields it uses (see Sampler.produces)
        requires: frozenset[str]        of those, the ones it cannot do without
        requires_hard_negatives: str | None   None, or the setting that makes it need NLI triplets (checked
                                        against the data module's `provides_hard_negatives`)
        set_embedding_dim(dim: int)     called once with the encoder's width D before training (for losses
                                        with their own layers, e.g. a softmax classifier over pairs)
    """

    config_name: str | None
    consumes: frozenset[str]
    requires: frozenset[str]
    requires_hard_negatives: str | None

    def set_embedding_dim(self, dim: int) -> None: ...

    def __call__(self, pairs: ContrastivePairs) -> Tensor: ...


@runtime_checkable
class AuxiliaryObjective(Protocol):
    """`model.auxiliary.<name>` (a mapping name -> objective in the model yaml). An `nn.Module` whose term is
    added to the main loss: total = main + sum(weight * term.loss); terms with weight 0 are not computed;
    each term is logged as train/aux/<name> and its activity as train/aux/<name>_active, watched for a term
    that never acts. Subclass `sentemb.methods.objectives.AuxiliaryObjective` (validated weight, no-op bind).

    weight: float                       >= 0
    bind(encoder)                       called once with the SentenceEncoder at construction (e.g. to build
                                        a head on the backbone)
    forward(module, batch: Batch, embeddings (B, V, D)) -> AuxiliaryTerm(loss, activity, stats)
        `module` is the ContrastiveModule (`module.embed(Batch) -> (B', V', D)` encodes further views,
        `module.encoder` is the SentenceEncoder, `module.gather(t)` concatenates every process's rows with
        gradients, for terms that compare examples across the batch), `batch` the step's Batch (its `extra`
        holds the blocks your batch builder added), `embeddings` this process's (not gathered) embeddings of
        the main views. `AuxiliaryTerm.activity` is the share in [0, 1] of the term's units that acted.

    Defined by `ContrastiveModule._add_auxiliary` (methods/contrastive.py) and `methods/objectives.py`.
    """

    weight: float

    def bind(self, encoder: Any) -> None: ...

    def __call__(self, module: Any, batch: Batch, embeddings: Tensor) -> Any: ...


@runtime_checkable
class BatchBuilder(Protocol):
    """The collate function: a list of dataset rows -> Batch.

    Rows are what the data module yields: `TextDataModule` (data=wiki_sample, text_file, ...) gives
    {"input_ids": list[int], "index": int, "text_id": int}; `ViewsDataModule` subclasses (NLI, labelled,
    pairs) give {"views": [ids_1, ..., ids_V], "label": int | float | None, "index": int, "text_ids": [...]}.
    The Batch holds input_ids / attention_mask (B, V, L) long, labels (B,) or None, index (B,), text_ids
    (B, V) or None, and `extra` (name -> tensor block) for auxiliary objectives.

    Member with a default in `BatchBuilderBase` (called by the data modules):
        bind_sampler(sampler)           called with the data loader's sampler when the loader is made (its
                                        `epoch`, which Lightning sets each epoch, can seed augmentations)
    """

    def bind_sampler(self, sampler: Any) -> None: ...

    def __call__(self, rows: list[dict]) -> Batch: ...


class BatchBuilderFactory(Protocol):
    """`model.batch_builder` in a model yaml: a `_partial_: true` target that the data module calls with the
    backbone's tokenizer to make the BatchBuilder (`builder = factory(tokenizer=tokenizer)`)."""

    def __call__(self, *, tokenizer: Any) -> BatchBuilder: ...


Encode = Callable[[list[str]], np.ndarray]
"""What an evaluator is given: sentences -> (N, D) float embeddings (memoised across evaluators)."""


@runtime_checkable
class Evaluator(Protocol):
    """`group: eval` (each entry of the eval mapping is one evaluator; its name prefixes its metrics).

    __call__(encode: Encode) -> Mapping[str, float]
        Scores the encoder through `encode`; results land in results.json and the loggers as
        test/<name>_<score> (the `sts` and `align_uniform` entries keep their historical names).

    Members with a default in `EvaluatorBase` (read by `sentemb.evaluation.suite.run_evaluators` and
    `train.evaluate_and_save`):
        sentences: Sequence[str]        every sentence it will encode, so all evaluators' sentences are
                                        encoded in one pass before any of them runs
        aggregation: str | None         how it aggregates subsets (written into results.json when not None)
    """

    sentences: Sequence[str]
    aggregation: str | None

    def __call__(self, encode: Encode) -> Mapping[str, float]: ...



@runtime_checkable
class TrainingData(Protocol):
    """`group: data` (the class its `_target_` names; read before any data loads by `sentemb.samplers.compat`).
    Defaults in `DataModuleBase`, which `TextDataModule` and `ViewsDataModule` subclass.

    provides_labels: "class" | "pair" | None    labels in every batch (class ids, or each pair's label/score)
    provides_hard_negatives: bool               NLI triplets (anchor, positive, hard negative)
    """

    provides_labels: str | None
    provides_hard_negatives: bool


BASES: dict[type, str] = {
    Sampler: "sentemb.contracts.SamplerBase",
    Loss: "sentemb.contracts.LossBase",
    AuxiliaryObjective: "sentemb.methods.objectives.AuxiliaryObjective",
    BatchBuilder: "sentemb.contracts.BatchBuilderBase",
    Evaluator: "sentemb.contracts.EvaluatorBase",
    TrainingData: "sentemb.contracts.DataModuleBase",
}


def protocol_members(protocol: type) -> tuple[str, ...]:
    """Every member of `protocol`: its annotated attributes and its methods (`__call__` included)."""
    names = dict.fromkeys(protocol.__annotations__)
    names.update(dict.fromkeys(n for n, v in vars(protocol).items()
                               if callable(v) and (n == "__call__" or not n.startswith("_"))))
    return tuple(names)


def check_contract(piece: Any, protocol: type, setting: str) -> None:
    """Refuse `piece` (an object, or a class for `TrainingData`), built from the config's `setting` (e.g.
    "loss", "eval.sts"), with a SettingError naming the members of `protocol` it lacks and the base class
    that gives their defaults. Called where each piece is built, so a misfit stops the run at start-up."""
    missing = [m for m in protocol_members(protocol) if not hasattr(piece, m)]
    if missing:
        cls = piece if isinstance(piece, type) else type(piece)
        raise SettingError(
            f"{setting}: {cls.__module__}.{cls.__qualname__} does not meet sentemb.contracts.{protocol.__name__}: "
            f"it lacks {', '.join(missing)}. Subclass {BASES[protocol]} (it gives the defaults) and define "
            "what your piece does (README 'Extending sentemb').")
