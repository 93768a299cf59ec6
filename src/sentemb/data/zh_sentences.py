"""Unlabelled Chinese sentences for the unsupervised methods: the distinct sentences of the Chinese
training sets (`sentemb.data.zh_train.ZH_SENTENCE_SOURCES`), their pairings and labels dropped.

Served like `TextDataModule` serves a text file (dropout pairs, ArcCSE triplets, augmentations with
`augment.cjk=chars`): `data=zh_sentences data.sources=[stsb_train,simclue_corpus]`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from pathlib import Path

from sentemb.data.datamodule import TextDataModule, TokenListDataset
from sentemb.data.text_ids import text_ids
from sentemb.data.tokenized import tokenize_to_dataset
from sentemb.data.zh_train import read_zh_sentences

log = logging.getLogger(__name__)

__all__ = ["ZhSentencesDataModule"]


class ZhSentencesDataModule(TextDataModule):
    """`TextDataModule` over the sentences of some Chinese training sets instead of a text file.

    Args:
        data_dir: the data root (reads <data_dir>/zh/...).
        sources: names in ZH_SENTENCE_SOURCES (stsb_train, atec_train, ocnli_train, simclue_triplets,
            simclue_pairs, simclue_corpus); each distinct sentence is kept once, in first-seen order.
        max_lines: keep only the first N distinct sentences (null = all).
        the others: as TextDataModule.
    """

    def __init__(self, data_dir: str | Path, tokenizer, batch_builder: Callable, sources: Sequence[str],
                 max_lines: int | None = None, **kwargs):
        super().__init__(Path(data_dir) / "zh", tokenizer, batch_builder, max_lines=max_lines, **kwargs)
        self.data_dir = Path(data_dir)
        self.sources = (sources,) if isinstance(sources, str) else tuple(sources)

    def setup(self, stage: str | None = None) -> None:
        if self.train_set is not None:
            return
        texts, files = read_zh_sentences(self.data_dir, self.sources)
        texts = texts[: self.max_lines] if self.max_lines is not None else texts
        source = {"zh_sentences": [(str(f.resolve()), f.stat().st_size, f.stat().st_mtime) for f in files],
                  "max_lines": self.max_lines}
        ds = tokenize_to_dataset(texts, self.tokenizer, self.max_length, self.cache_dir, source)
        self.train_set = TokenListDataset(ds["input_ids"], text_ids(texts))
        log.info("training sentences: %d distinct Chinese sentences from %s", len(texts), ", ".join(self.sources))
