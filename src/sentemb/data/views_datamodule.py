"""Base LightningDataModule for supervised rows: several texts per row (views) and an optional label.

A subclass reads its source into `ViewsData` (texts per row, labels, an id of the source for the cache);
this class tokenises every text once (cached like the unlabelled data), regroups the token lists per row
and serves batches through a seeded batch sampler:
    batching=no_duplicates  no sentence twice in a batch (default for triplets and pairs)
    batching=label          groups of `per_label` rows of one label, no duplicates (supervised contrast)
    batching=shuffle        plain seeded shuffle (`ResumableShuffleSampler`)
Each sampler shards itself across processes (DDP) and resumes mid-epoch from a checkpoint's position
(`state_dict`), on every process.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

import lightning as L
from torch.utils.data import DataLoader, Dataset

from sentemb.bases import DataModuleBase
from sentemb.contracts import BatchBuilder, check_contract
from sentemb.data.batch_samplers import LabelBatchSampler, NoDuplicatesBatchSampler
from sentemb.data.errors import DataFormatError
from sentemb.data.resumable import ResumableShuffleSampler, progress_of
from sentemb.data.text_ids import text_ids
from sentemb.data.tokenized import tokenize_to_dataset
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

BATCHINGS = ("no_duplicates", "label", "shuffle")


@dataclass
class ViewsData:
    """texts[i] = the V texts of row i (same V for every row); labels[i] int / float, or labels None."""

    texts: list[tuple[str, ...]]
    labels: list | None
    source_id: dict

    def __post_init__(self) -> None:
        if not self.texts:
            raise DataFormatError(f"no rows read from {self.source_id}")
        if self.labels is not None and len(self.labels) != len(self.texts):
            raise ValueError(f"{len(self.labels)} labels for {len(self.texts)} rows ({self.source_id})")


class ViewsDataset(Dataset):
    """Rows {"views": [ids per view], "label": label or None, "index": i} held as Python lists; with
    `text_ids` (one list of V int64 per row, `sentemb.data.text_ids`) rows also carry "text_ids"."""

    def __init__(self, views: list[list[list[int]]], labels: list | None, text_ids: list[list[int]] | None = None):
        self.views, self.labels, self.text_ids = views, labels, text_ids

    def __len__(self) -> int:
        return len(self.views)

    def __getitem__(self, i: int) -> dict:
        row = {"views": self.views[i], "label": None if self.labels is None else self.labels[i], "index": i}
        if self.text_ids is not None:
            row["text_ids"] = self.text_ids[i]
        return row


class ViewsDataModule(DataModuleBase, L.LightningDataModule):
    """Args (shared by the supervised data options):
        tokenizer, batch_builder: as in TextDataModule (the model picks the builder).
        batch_size, max_length: per batch rows; truncation of every text.
        max_rows: keep only the first rows read (small runs and tests).
        batching: "no_duplicates" | "label" | "shuffle" (see the module docstring); per_label for "label".
        seed: the batch sampler's seed (reseeded each epoch with seed + epoch).
    """

    def __init__(self, tokenizer, batch_builder: Callable, batch_size: int = 64, max_length: int = 32,
                 max_rows: int | None = None, batching: str = "no_duplicates", per_label: int = 2,
                 num_workers: int = 0, cache_dir: str | None = None, seed: int = 42, drop_last: bool = False):
        super().__init__()
        if batch_size < 1:
            raise SettingError(f"data.batch_size must be >= 1, got {batch_size}")
        if max_length < 2:
            raise SettingError(f"data.max_length must be >= 2 (room for special tokens), got {max_length}")
        if batching not in BATCHINGS:
            raise SettingError(f"data.batching must be one of {BATCHINGS}, got {batching!r}")
        self.tokenizer = tokenizer
        self.collate = batch_builder(tokenizer=tokenizer)
        check_contract(self.collate, BatchBuilder, "model.batch_builder")
        self.batch_size, self.max_length, self.max_rows = batch_size, max_length, max_rows
        self.batching, self.per_label = batching, per_label
        self.num_workers, self.cache_dir, self.seed, self.drop_last = num_workers, cache_dir, seed, drop_last
        self.data: ViewsData | None = None
        self.train_set: ViewsDataset | None = None
        self._resume: dict[str, int] | None = None

    def read(self) -> ViewsData:
        """The rows of this data option; each data option (subclass) defines its own."""
        raise TypeError(f"{type(self).__name__} must define read()")

    def prepare_data(self) -> None:
        """Lightning runs this on rank 0 (of each node) before any process's `setup`: it tokenises and fills
        the cache alone, and the other DDP processes' `setup` then read the cache instead of writing it too."""
        self.setup()

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        data = self.read()
        if self.max_rows is not None:
            data = ViewsData(data.texts[: self.max_rows], None if data.labels is None else
                             data.labels[: self.max_rows], {**data.source_id, "max_rows": self.max_rows})
        self.data = data
        if len(data.texts) < self.batch_size:
            log.warning("%s: %d rows, fewer than one batch (data.batch_size=%d): every step sees them all",
                        getattr(self, "path", data.source_id), len(data.texts), self.batch_size)
        v = len(data.texts[0])
        flat = [t for row in data.texts for t in row]
        ds = tokenize_to_dataset(flat, self.tokenizer, self.max_length, self.cache_dir,
                                 {**data.source_id, "views": v})
        ids = ds["input_ids"][:]  # one conversion to Python lists, not one Arrow decode per row
        tids = text_ids(flat)
        self.train_set = ViewsDataset([ids[i * v:(i + 1) * v] for i in range(len(data.texts))], data.labels,
                                      [tids[i * v:(i + 1) * v] for i in range(len(data.texts))])
        log.info("training rows: %d with %d text(s) each from %s", len(self.train_set), v, data.source_id)

    def batch_sampler(self):
        assert self.data is not None, "call setup() first"
        keys = self.data.texts
        if self.batching == "label":
            if self.data.labels is None:
                raise SettingError("data.batching=label needs labelled rows")
            return LabelBatchSampler(self.data.labels, self.batch_size, self.per_label, self.seed, keys,
                                     self.drop_last)
        if self.batching == "no_duplicates":
            return NoDuplicatesBatchSampler(keys, self.batch_size, self.seed, self.drop_last)
        return None

    def train_dataloader(self) -> DataLoader:
        assert self.train_set is not None, "call setup() first"
        common = {"collate_fn": self.collate, "num_workers": self.num_workers,
                  "persistent_workers": self.num_workers > 0}
        resume, self._resume = self._resume, None
        sampler = self.batch_sampler()
        if sampler is not None:
            if resume is not None:
                sampler.resume_from(resume["epoch"], resume["batches_done"])
            self.collate.bind_sampler(sampler)
            return DataLoader(self.train_set, batch_sampler=sampler, **common)
        shuffle = ResumableShuffleSampler(len(self.train_set), self.seed, batch_size=self.batch_size)
        if resume is not None:
            shuffle.resume_from(resume["epoch"], resume["batches_done"], self.batch_size)
        self.collate.bind_sampler(shuffle)
        return DataLoader(self.train_set, batch_size=self.batch_size, sampler=shuffle, drop_last=self.drop_last,
                          **common)

    def state_dict(self) -> dict:
        """Saved in Lightning checkpoints: where in which epoch training was, to resume the same order."""
        return progress_of(getattr(self, "trainer", None))

    def load_state_dict(self, state_dict: dict) -> None:
        self._resume = dict(state_dict)
