"""Sentence pairs with a label per pair for the pair objectives (SBERT softmax / regression, CoSENT).

Sources (`format`):
    stsb   STS-B `sts-<split>.csv` (read by sentemb.data.sts_readers.read_stsb): float scores 0-5
           (divided by `max_score` when set: data=stsb_train uses 5, giving 0-1 for cosine regression)
    snli   SNLI in SentEval layout: (premise, hypothesis) with class ids as Sentence-BERT numbers them
           (contradiction 0, entailment 1, neutral 2)
    csv    a csv with a header naming two text columns and a label column: integer labels stay class ids,
           anything else is read as a float score
Batches: V = 2 (s1, s2) + labels, built by PairBuilder; batching=no_duplicates by default.
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from sentemb.data.errors import DataFormatError, require_file
from sentemb.data.nli import SBERT_LABEL_IDS, read_snli
from sentemb.data.sts_readers import read_stsb
from sentemb.data.textio import read_text
from sentemb.data.views_datamodule import ViewsData, ViewsDataModule

log = logging.getLogger(__name__)

FORMATS = ("stsb", "snli", "csv")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_pair_csv(path: str | Path, columns: tuple[str, str, str] = ("sentence1", "sentence2", "label")
                  ) -> tuple[list[tuple[str, str]], list[int | float]]:
    """(s1, s2) rows and labels of a csv whose header names `columns`; ints if every label is an int."""
    path = require_file(path)
    pairs, labels = [], []
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in columns if c not in (reader.fieldnames or [])]
        if missing:
            raise DataFormatError(f"{path}:1: expected a header with columns {list(columns)}, got {reader.fieldnames}")
        for row in reader:
            s1, s2 = (" ".join((row[c] or "").split()) for c in columns[:2])
            try:
                label = _number((row[columns[2]] or "").strip())
            except ValueError:
                raise DataFormatError(f"{path}:{reader.line_num}: expected a numeric label in "
                                      f"'{columns[2]}', got {row[columns[2]]!r}") from None
            if not s1 or not s2:
                raise DataFormatError(f"{path}:{reader.line_num}: expected two non-empty sentences, got {row}")
            pairs.append((s1, s2))
            labels.append(label)
    if any(isinstance(x, float) for x in labels):
        labels = [float(x) for x in labels]
    return pairs, labels


class PairDataModule(ViewsDataModule):
    provides_labels = "pair"

    """Labelled sentence pairs (V = 2).

    Args:
        path: STS-B folder (format=stsb), SNLI folder (format=snli) or csv file (format=csv).
        split / splits: STS-B split (train) / SNLI splits.
        max_score: divide float scores by this (None: keep them).
        columns: the csv's (sentence1, sentence2, label) column names.
    """

    def __init__(self, path: str | Path, tokenizer, batch_builder, format: str = "csv", split: str = "train",
                 splits: tuple[str, ...] | list[str] = ("dev", "test"), max_score: float | None = None,
                 columns: tuple[str, str, str] | list[str] = ("sentence1", "sentence2", "label"), **kwargs):
        super().__init__(tokenizer, batch_builder, **kwargs)
        if format not in FORMATS:
            raise ValueError(f"data.format must be one of {FORMATS}, got {format!r}")
        if max_score is not None and not max_score > 0:
            raise ValueError(f"data.max_score must be > 0 or null, got {max_score}")
        self.path, self.format = Path(str(path)).expanduser(), format
        self.split, self.splits, self.max_score, self.columns = split, tuple(splits), max_score, tuple(columns)

    def read(self) -> ViewsData:
        if self.format == "stsb":
            sp = read_stsb(self.path, self.split)
            pairs, labels = list(zip(sp.sentences1, sp.sentences2)), [float(s) for s in sp.scores]
        elif self.format == "snli":
            nli = read_snli(self.path, self.splits)
            pairs = list(zip(nli.premises, nli.hypotheses))
            labels = [SBERT_LABEL_IDS[label] for label in nli.labels]
        else:
            pairs, labels = read_pair_csv(self.path, self.columns)
        if self.max_score is not None and labels and isinstance(labels[0], float):
            labels = [x / self.max_score for x in labels]
        files = sorted(p for p in self.path.rglob("*") if p.is_file()) if self.path.is_dir() else [self.path]
        stamp = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime) for p in files]
        log.info("%d labelled pairs (%s) from %s", len(pairs), self.format, self.path)
        return ViewsData(texts=pairs, labels=labels, source_id={"files": stamp, "format": self.format,
                                                                "split": self.split, "splits": self.splits,
                                                                "kind": "pairs"})
