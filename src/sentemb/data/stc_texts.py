"""Unlabelled training texts of the short-text clustering sets (StackOverflow, Biomedical, SearchSnippets).

SCCL and VaSCL (Zhang et al., 2021) adapt an encoder to a clustering set by contrastive training on its texts
without their labels, then cluster the same texts (transductive domain adaptation). This data module reads
the texts of `sets` with the clustering evaluator's reader (`sentemb.data.clustering_readers.read_stc`),
drops the gold labels and serves them like `TextDataModule` serves a text file: dropout pairs or any other
unsupervised batch builder (`data=stc_texts`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np

from sentemb.data.clustering_readers import STC_SETS, read_stc, stc_dir
from sentemb.data.datamodule import TextDataModule, TokenListDataset
from sentemb.data.text_ids import text_ids
from sentemb.data.tokenized import tokenize_to_dataset
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

__all__ = ["ClusteringTextsDataModule", "read_clustering_texts"]


def read_clustering_texts(data_dir: str | Path, sets: Sequence[str] = STC_SETS,
                          max_texts: int | None = None) -> list[str]:
    """The texts of `sets` (concatenated in the given order, labels dropped, duplicates kept as in SCCL).

    `max_texts` keeps a random subset of each set drawn exactly as `ClusteringEvaluator(max_texts=...)` draws
    it (seed 0; the files are sorted by class, so never a prefix): with the same number, the texts trained on
    are the texts clustered, as in the transductive SCCL/VaSCL setting.
    """
    if isinstance(sets, str):
        sets = (sets,)
    unknown = [s for s in sets if s not in STC_SETS]
    if unknown or not sets:
        raise SettingError(f"data.sets: unknown {unknown} (or none given); expected some of {STC_SETS}")
    if max_texts is not None and max_texts < 1:
        raise SettingError(f"data.max_texts must be >= 1 or null, got {max_texts}")
    texts: list[str] = []
    for name in sets:
        rows = read_stc(stc_dir(data_dir), name).texts
        if max_texts is not None and max_texts < len(rows):
            keep = np.sort(np.random.default_rng(0).choice(len(rows), size=max_texts, replace=False))
            rows = [rows[i] for i in keep]
        texts.extend(rows)
    return texts


class ClusteringTextsDataModule(TextDataModule):
    """`TextDataModule` over the clustering sets' texts instead of a text file.

    Args:
        data_dir: the data root (reads <data_dir>/en/stc).
        sets: some of StackOverflow, Biomedical, SearchSnippets (20,000 / 20,000 / 12,340 texts).
        max_texts: a random subset of each set, the one `eval.clustering.max_texts` scores (null = all).
        the others: as TextDataModule (batch_size, max_length, num_workers, cache_dir, seed).
    """

    def __init__(self, data_dir: str | Path, tokenizer, batch_builder: Callable,
                 sets: Sequence[str] = STC_SETS, max_texts: int | None = None, batch_size: int = 64,
                 max_length: int = 32, num_workers: int = 0, cache_dir: str | None = None, seed: int = 42,
                 drop_last: bool = False):
        super().__init__(stc_dir(data_dir), tokenizer, batch_builder, batch_size=batch_size,
                         max_length=max_length, num_workers=num_workers, cache_dir=cache_dir, seed=seed,
                         drop_last=drop_last)
        self.data_dir = Path(data_dir)
        self.sets = (sets,) if isinstance(sets, str) else tuple(sets)
        self.max_texts = max_texts

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        texts = read_clustering_texts(self.data_dir, self.sets, self.max_texts)
        files = [stc_dir(self.data_dir) / f"{name}.txt" for name in self.sets]
        source = {"stc": [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime) for f in files],
                  "max_texts": self.max_texts}
        ds = tokenize_to_dataset(texts, self.tokenizer, self.max_length, self.cache_dir, source)
        self.train_set = TokenListDataset(ds["input_ids"], text_ids(texts))
        log.info("training texts: %d from the clustering sets %s (labels unused)", len(texts), ", ".join(self.sets))
