"""The contracts a piece of sentemb meets, written once: what your own sampler, loss, auxiliary objective,
batch builder or evaluator must provide to plug in through a config's `_target_` (README "Extending sentemb").

Data flow of one training step (`sentemb.methods.contrastive.ContrastiveModule.training_step`):

    rows --BatchBuilder--> Batch (B, V, L) --encoder--> embeddings (B, V, D)
         --Sampler--> ContrastivePairs --Loss--> scalar (+ weight * AuxiliaryObjective(...) for each objective)

and after training, `Evaluator(encode) -> {score: value}` for each entry of the `eval` group.

Required members are the Protocol methods below (`isinstance(obj, Loss)` checks them). Optional members are
listed in each docstring: shared code reads them with a default when absent, so a plug-in that has none of
them works; each one's reader is named. `ContrastivePairs` (samplers/pairs.py) and `Batch` (data/batches.py)
are the two containers the pieces exchange; they are re-exported here.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np
from torch import Tensor

from sentemb.data.batches import Batch
from sentemb.samplers.pairs import ContrastivePairs

__all__ = ["AuxiliaryObjective", "Batch", "BatchBuilder", "BatchBuilderFactory", "ContrastivePairs", "Encode",
           "Evaluator", "Loss", "Sampler"]


@runtime_checkable
class Sampler(Protocol):
    """`group: sampler`. Decides which candidate is a positive of which anchor and how negatives weigh.

    __call__(embeddings (B, V, D) float, labels (B,) or None) -> ContrastivePairs
        Embeddings (and labels) are gathered across processes already (with gradients), so B is the global
        batch. The views are laid out by the batch builder (sentemb's builders: view 0 the anchor, views 1..
        its positives, then hard negatives). Fill `ContrastivePairs.stats` (name -> float, logged as train/<name>) with informative figures
        and `ContrastivePairs.activity` (name -> share in [0, 1] of the term's units that acted this step,
        logged as train/<name>_active; 0 = inert) for every term of yours that can do nothing.

    Optional members (read by `sentemb.samplers.compat` at start-up, before any data loads, and by
    `ContrastiveModule.sample`):
        config_name: str                the option's name in error messages (default: the class name)
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

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None) -> ContrastivePairs: ...


@runtime_checkable
class Loss(Protocol):
    """`group: loss`. An `nn.Module` (its parameters, if any, train and checkpoint with the encoder).

    forward(pairs: ContrastivePairs) -> scalar Tensor with gradient
        Reads `pairs.anchors` (N, D), `pairs.candidates` (M, D), `pairs.positive_mask` (N, M) bool (and
        `pairs.cosine()` (N, M)); the optional fields only when it declares them in `consumes`. It may add
        to `pairs.stats` / `pairs.activity` (the same object is logged after the loss), e.g. a hinge's share
        of active margins; create the dict when it is None.

    Optional members (read by `sentemb.samplers.compat` and `ContrastiveModule.__init__`):
        config_name: str                the option's name in error messages
        consumes: frozenset[str]        optional ContrastivePairs fields it uses (see Sampler.produces)
        requires: frozenset[str]        of those, the ones it cannot do without
        requires_hard_negatives: bool   True: needs NLI triplets (the data module's `provides_hard_negatives`)
        set_embedding_dim(dim: int)     called once with the encoder's width D before training (for losses
                                        with their own layers, e.g. SBERT's softmax classifier)
    """

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

    Optional members (read by the data module):
        bind_sampler(sampler)           called with the data loader's sampler when the loader is made (its
                                        `epoch`, which Lightning sets each epoch, seeds augmentations)
    """

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

    Optional members (read by `sentemb.evaluation.suite.run_evaluators` and `train.evaluate_and_save`):
        sentences: Sequence[str]        every sentence it will encode, so all evaluators' sentences are
                                        encoded in one pass before any of them runs
        aggregation: str                how it aggregates subsets (written into results.json)
    """

    def __call__(self, encode: Encode) -> Mapping[str, float]: ...

