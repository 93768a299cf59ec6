"""The Lightning data module of MLM pretraining: training and held-out lines -> token blocks or padded rows.

Lines are tokenised once (fast tokenizer, batched, no special tokens), then packed into full-length
blocks (`packing=true`) or kept one sentence a row with dynamic padding (`packing=false`); see packing.py.
Batches are {"input_ids": (B, L) long, "attention_mask": (B, L) long}; masking happens in the module, so
every epoch sees new masks (dynamic masking, RoBERTa). Unpacked rows can be grouped by length
(`group_by_length` = batches per sorting window, the sampler of sentemb.data.resumable), so a batch pads
little.

Packing random lines of a sentence corpus into long blocks puts ~10 unrelated sentences in one attention
span; measured on the offline recipe (experiments/pretrain_tuning), 4x256 BERT stayed at unigram predictions
(13% held-out accuracy) with blocks of 128, reached 29-30% with blocks of 32 and 31.6-32.2% with one
sentence a row: keep packing for running text (documents), not for a corpus of short independent lines.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset, TensorDataset

from sentemb.data.resumable import ResumableShuffleSampler
from sentemb.errors import SettingError
from sentemb.pretraining.packing import block_batch, pack_blocks, pad_rows, sentence_rows

log = logging.getLogger(__name__)


def tokenize_lines(tokenizer, lines: Sequence[str], chunk: int = 10_000) -> list[list[int]]:
    """Token ids of each line without special tokens (no truncation: packing may use long lines whole)."""
    out: list[list[int]] = []
    for start in range(0, len(lines), chunk):
        out.extend(tokenizer(list(lines[start: start + chunk]), add_special_tokens=False, truncation=False,
                             verbose=False)["input_ids"])
    return out


class _Rows(Dataset):
    def __init__(self, rows: list[torch.Tensor]):
        self.rows = rows

    def __len__(self) -> int:
        return len(self.rows)

    def __getitem__(self, i: int) -> torch.Tensor:
        return self.rows[i]


class MLMDataModule(L.LightningDataModule):
    """Args:
        train_lines, heldout_lines: the corpus split (corpus.build_corpus).
        tokenizer: a fast tokenizer with CLS/SEP/PAD tokens.
        max_length: block length with packing, truncation length without.
        batch_size: blocks (or sentences) a step; eval_batch_size: for the held-out split.
        packing: full-length blocks (true) or one sentence a row with dynamic padding (false).
        group_by_length: without packing, sort windows of this many batches by length (0: plain shuffle).
        seed: the training order's seed (reshuffled per epoch as seed + epoch).
    """

    def __init__(self, train_lines: Sequence[str], heldout_lines: Sequence[str], tokenizer, max_length: int = 128,
                 batch_size: int = 64, eval_batch_size: int = 128, packing: bool = True, num_workers: int = 0,
                 group_by_length: int = 0, seed: int = 42):
        super().__init__()
        for name in ("cls_token_id", "sep_token_id", "pad_token_id"):
            if getattr(tokenizer, name) is None:
                raise SettingError(f"MLM pretraining needs a tokenizer with {name[:-9]} token; "
                                 f"{type(tokenizer).__name__} has none")
        if int(batch_size) < 1:
            raise SettingError(f"batching.batch_size must be >= 1, got {batch_size}")
        self.train_lines, self.heldout_lines, self.tokenizer = list(train_lines), list(heldout_lines), tokenizer
        self.max_length, self.batch_size, self.eval_batch_size = int(max_length), int(batch_size), int(eval_batch_size)
        self.packing, self.num_workers = bool(packing), int(num_workers)
        if int(group_by_length) < 0 or (group_by_length and packing):
            raise SettingError(f"batching.group_by_length={group_by_length}: must be >= 0, and 0 with batching.packing=true "
                             "(blocks all have the same length)")
        self.group_by_length, self.seed = int(group_by_length), int(seed)
        self.train_set: Dataset | None = None
        self.heldout_set: Dataset | None = None
        self.stats: dict = {}

    def _dataset(self, lines: Sequence[str]) -> tuple[Dataset, int, int]:
        """(dataset, rows, real tokens incl. specials)."""
        tok = self.tokenizer
        ids = tokenize_lines(tok, lines)
        if self.packing:
            blocks, lengths = pack_blocks(ids, self.max_length, tok.cls_token_id, tok.sep_token_id, tok.pad_token_id)
            return TensorDataset(blocks, lengths), len(blocks), int(lengths.sum())
        rows = sentence_rows(ids, self.max_length, tok.cls_token_id, tok.sep_token_id)
        return _Rows(rows), len(rows), sum(len(r) for r in rows)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        self.train_set, n_train, tokens = self._dataset(self.train_lines)
        self.heldout_set, n_held, held_tokens = self._dataset(self.heldout_lines)
        self.stats = {"train_rows": n_train, "train_tokens": tokens, "heldout_rows": n_held,
                      "heldout_tokens": held_tokens, "packing": self.packing, "max_length": self.max_length,
                      "group_by_length": self.group_by_length}
        log.info("MLM data: %d training %s (%d tokens), %d held-out", n_train,
                 "blocks" if self.packing else "sentences", tokens, n_held)

    def _collate(self, items):
        return block_batch(items) if self.packing else pad_rows(items, self.tokenizer.pad_token_id)

    def train_dataloader(self) -> DataLoader:
        lengths = [len(r) for r in self.train_set.rows] if self.group_by_length else None
        sampler = ResumableShuffleSampler(len(self.train_set), self.seed, lengths, self.group_by_length, self.batch_size)
        return DataLoader(self.train_set, batch_size=self.batch_size, sampler=sampler, drop_last=False,
                          collate_fn=self._collate, num_workers=self.num_workers)

    def val_dataloader(self) -> DataLoader:
        return DataLoader(self.heldout_set, batch_size=self.eval_batch_size, shuffle=False,
                          collate_fn=self._collate, num_workers=self.num_workers)
