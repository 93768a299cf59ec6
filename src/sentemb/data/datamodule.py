"""LightningDataModule for unlabelled sentences (one a line): dropout pairs and other per-sentence views."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import lightning as L
import torch
from torch.utils.data import DataLoader, Dataset

from sentemb.bases import DataModuleBase
from sentemb.contracts import BatchBuilder, check_contract
from sentemb.data.resumable import ResumableShuffleSampler, progress_of
from sentemb.data.text_ids import text_ids
from sentemb.data.text_reader import read_text_lines
from sentemb.data.tokenized import tokenize_to_dataset
from sentemb.errors import SettingError

log = logging.getLogger(__name__)


class TokenListDataset(Dataset):
    """Rows {"input_ids": list[int], "index": int} held as plain Python lists (no per-row Arrow decode);
    with `text_ids` (one int64 per row, `sentemb.data.text_ids`) rows also carry "text_id"."""

    def __init__(self, token_lists: list[list[int]], text_ids: list[int] | None = None):
        self.token_lists = token_lists
        self.text_ids = text_ids

    def __len__(self) -> int:
        return len(self.token_lists)

    def __getitem__(self, i: int) -> dict:
        row = {"input_ids": self.token_lists[i], "index": i}
        if self.text_ids is not None:
            row["text_id"] = self.text_ids[i]
        return row


class TextDataModule(DataModuleBase, L.LightningDataModule):
    """Sentences from a text file, tokenised once (cached), batched by `batch_builder`.

    Args:
        path: a text file, one sentence a line (UTF-8; empty lines are dropped and counted).
        tokenizer: the backbone's tokenizer.
        batch_builder: a callable `builder(tokenizer=...)` returning the collate function
            (e.g. DropoutPairBuilder, built by Hydra with `_partial_: true`).
        batch_size, max_length: 64 and 32 in the unsupervised recipes.
        max_lines: read only the first lines of the file.
        group_by_length: 0 (a plain shuffle, the papers' setting) or the number of batches per length-sorting window
            (`ResumableShuffleSampler`): batches of similar lengths pad less, so a step costs fewer FLOPs.
    """

    def __init__(
        self,
        path: str | Path,
        tokenizer,
        batch_builder: Callable,
        batch_size: int = 64,
        max_length: int = 32,
        max_lines: int | None = None,
        num_workers: int = 0,
        cache_dir: str | None = None,
        seed: int = 42,
        drop_last: bool = False,
        group_by_length: int = 0,
    ):
        super().__init__()
        if batch_size < 1:
            raise SettingError(f"data.batch_size must be >= 1, got {batch_size}")
        if max_length < 2:
            raise SettingError(f"data.max_length must be >= 2 (room for special tokens), got {max_length}")
        self.path = Path(path).expanduser()
        self.tokenizer = tokenizer
        self.collate = batch_builder(tokenizer=tokenizer)
        check_contract(self.collate, BatchBuilder, "model.batch_builder")
        self.batch_size = batch_size
        self.max_length = max_length
        self.max_lines = max_lines
        self.num_workers = num_workers
        self.cache_dir = cache_dir
        self.seed = seed
        self.drop_last = drop_last
        self.group_by_length = group_by_length
        self.train_set: TokenListDataset | None = None
        self.dropped_empty = 0
        self._resume: dict[str, int] | None = None

    def prepare_data(self) -> None:
        """Lightning runs this on rank 0 (of each node) before any process's `setup`: it tokenises and fills
        the cache alone, and the other DDP processes' `setup` then read the cache instead of writing it too."""
        self.setup()

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        lines = read_text_lines(self.path, self.max_lines)
        self.dropped_empty = lines.dropped_empty
        stat = self.path.stat()
        source = {"path": str(self.path.resolve()), "size": stat.st_size, "mtime": stat.st_mtime,
                  "max_lines": self.max_lines}
        ds = tokenize_to_dataset(lines.sentences, self.tokenizer, self.max_length, self.cache_dir, source)
        if len(lines.sentences) < self.batch_size:
            log.warning("%s: %d sentences, fewer than one batch (data.batch_size=%d): every step sees them all, "
                        "with fewer in-batch negatives", self.path, len(lines.sentences), self.batch_size)
        self.train_set = TokenListDataset(ds["input_ids"], text_ids(lines.sentences))
        log.info("training sentences: %d from %s (%d empty lines dropped)", len(self.train_set), self.path,
                 self.dropped_empty)

    def train_dataloader(self) -> DataLoader:
        assert self.train_set is not None, "call setup() first"
        lengths = [len(t) for t in self.train_set.token_lists] if self.group_by_length else None
        sampler = ResumableShuffleSampler(len(self.train_set), self.seed, lengths, self.group_by_length,
                                          self.batch_size)
        if self._resume is not None:
            sampler.resume_from(self._resume["epoch"], self._resume["batches_done"], self.batch_size)
            self._resume = None
        self.collate.bind_sampler(sampler)  # e.g. augmenting builders seed by (seed, epoch, index)
        return DataLoader(
            self.train_set,
            batch_size=self.batch_size,
            sampler=sampler,
            # its own generator: creating an iterator must not draw from the global RNG (dropout masks)
            generator=torch.Generator().manual_seed(self.seed),
            collate_fn=self.collate,
            num_workers=self.num_workers,
            persistent_workers=self.num_workers > 0,
            drop_last=self.drop_last,
        )

    def state_dict(self) -> dict:
        """Saved in Lightning checkpoints: where in which epoch training was, to resume the same order."""
        return progress_of(getattr(self, "trainer", None))

    def load_state_dict(self, state_dict: dict) -> None:
        self._resume = dict(state_dict)
