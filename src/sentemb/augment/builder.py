"""Unsupervised positive pairs with a discrete augmentation on top of dropout (the `augment` config group).

`AugmentedPairBuilder` collates rows {"input_ids", "index"} into a `Batch` of V=2 views (B, 2, L):
  * `op=None` (augment=dropout): both views are the sentence itself, exactly `DropoutPairBuilder`'s batch;
  * `views="second"`: view 0 is the sentence, view 1 its augmentation (the other side unaugmented);
  * `views="both"`: each view is an independent augmentation of the sentence.
Dropout noise is added by the encoder in every case.

Determinism: the augmentation of row `index` in view v at epoch e is drawn from random.Random seeded by
(seed, e, index, v), so it does not depend on batch composition, order or workers. The epoch is read from
the DataModule's sampler (`bind_sampler`, called by TextDataModule); with num_workers > 0 and persistent
workers, workers keep the epoch they started with (augmentations then repeat across epochs).
"""

from __future__ import annotations

import random

import torch

from sentemb.augment.words import WordSplitter
from sentemb.bases import BatchBuilderBase
from sentemb.data.batches import Batch, DropoutPairBuilder, pad_sequences
from sentemb.errors import SettingError

VIEWS = ("second", "both")


class AugmentedPairBuilder(BatchBuilderBase):
    """Args:
        tokenizer: the backbone's tokenizer.
        augment: an op from `sentemb.augment.ops` / `sentemb.augment.synonyms` (`op(content, splitter, rng)`),
            or None for dropout only.
        views: "second" (default) or "both", see the module docstring.
        seed: the run's seed.
        cjk: how word-level ops treat CJK text: "chars" (a character is a word) or "refuse" (raise).
        max_length: augmented sequences (repetition lengthens them) are cut to this many tokens including
            special tokens; None = the tokenizer's model_max_length.
    """

    num_views = 2

    def __init__(self, tokenizer, augment=None, views: str = "second", seed: int = 42, cjk: str = "chars",
                 max_length: int | None = None):
        if views not in VIEWS:
            raise SettingError(f"augment.views must be one of {VIEWS}, got {views!r}")
        self.dropout = DropoutPairBuilder(tokenizer)
        self.pad_token_id = tokenizer.pad_token_id
        self.op = augment
        self.views = views
        self.seed = int(seed)
        self.splitter = WordSplitter(tokenizer, cjk)
        limit = getattr(tokenizer, "model_max_length", None)
        self.max_length = int(max_length or (limit if limit and limit < 100_000 else 512))
        self._sampler = None
        self.epoch = 0

    def bind_sampler(self, sampler) -> None:
        """Read the epoch from `sampler.epoch` (Lightning's set_epoch) at each batch."""
        self._sampler = sampler

    def current_epoch(self) -> int:
        return int(getattr(self._sampler, "epoch", self.epoch))

    def rng(self, epoch: int, index: int, view: int) -> random.Random:
        return random.Random(f"{self.seed}:{epoch}:{index}:{view}")

    def augment_ids(self, ids: list[int], epoch: int, index: int, view: int) -> list[int]:
        """One view of one tokenised sentence (with its special tokens) -> augmented ids."""
        parts = self.splitter.split(list(ids))
        content = self.op(parts.content, self.splitter, self.rng(epoch, index, view))
        room = self.max_length - len(parts.prefix) - len(parts.suffix)
        return parts.join(content[:max(room, 1)])

    def __call__(self, rows: list[dict]) -> Batch:
        if self.op is None:
            return self.dropout(rows)
        epoch = self.current_epoch()
        sequences: list[list[int]] = []
        for pos, row in enumerate(rows):
            ids, index = list(row["input_ids"]), int(row.get("index", pos))
            first = self.augment_ids(ids, epoch, index, 0) if self.views == "both" else ids
            sequences.extend([first, self.augment_ids(ids, epoch, index, 1)])
        ids, mask = pad_sequences(sequences, self.pad_token_id)
        b = len(rows)
        index = torch.as_tensor([r.get("index", -1) for r in rows], dtype=torch.long)
        return Batch(input_ids=ids.view(b, 2, -1), attention_mask=mask.view(b, 2, -1), index=index)
