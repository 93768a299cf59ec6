"""Sentence pairs with a label per pair for the pair objectives (SBERT softmax / regression, CoSENT).

Sources (`format`):
    stsb   STS-B `sts-<split>.csv` (read by sentemb.data.sts_readers.read_stsb): float scores 0-5
           (divided by `max_score` when set: data=stsb_train uses 5, giving 0-1 for cosine regression)
    snli   SNLI in SentEval layout: (premise, hypothesis) with class ids as Sentence-BERT numbers them
           (contradiction 0, entailment 1, neutral 2)
    csv    a csv with a header naming two text columns and a label column: integer labels stay class ids,
           anything else is read as a float score
    zh     a Chinese `s1 TAB s2 TAB score` file (zh/STS-B/STS-B.train.data: 0-5; sentemb.data.zh_readers)
    atec   ATEC's original train csv (`id TAB s1 TAB s2 TAB label`, 0/1; sentemb.data.zh_train)
    ocnli  OCNLI JSON lines: (premise, hypothesis) with Sentence-BERT's class ids, as snli
    simclue  SimCLUE's train_pair JSON lines (sentence1, sentence2, label 0/1)
Scores and labels must be finite numbers in `score_range` (data.score_range; null = the format's documented
range: stsb 0-5, csv any finite number); others are refused naming file and line, or with
data.on_bad_score=drop dropped and counted (sentemb.data.scores).
Batches: V = 2 (s1, s2) + labels, built by PairBuilder; batching=no_duplicates by default.
"""

from __future__ import annotations

import logging
from pathlib import Path

from sentemb.data.csv_rows import read_csv_rows
from sentemb.data.errors import DataFormatError, format_error
from sentemb.data.nli import SBERT_LABEL_IDS, read_snli
from sentemb.data.scores import STS_RANGE, ScoreCheck, ScoreRange, as_score_range, check_on_bad_score
from sentemb.data.sts_readers import read_stsb
from sentemb.data.views_datamodule import ViewsData, ViewsDataModule
from sentemb.data.zh_readers import read_zh_pairs
from sentemb.data.zh_train import read_atec_train, read_ocnli, read_simclue_pairs
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

FORMATS = ("stsb", "snli", "csv", "zh", "atec", "ocnli", "simclue")


def _number(text: str) -> int | float:
    try:
        return int(text)
    except ValueError:
        return float(text)


def read_pair_csv(path: str | Path, columns: tuple[str, str, str] = ("sentence1", "sentence2", "label"),
                  score_range: ScoreRange | None = None, on_bad_score: str = "error"
                  ) -> tuple[list[tuple[str, str]], list[int | float]]:
    """(s1, s2) rows and labels of a csv whose header names `columns`; ints if every label is an int.

    Labels must be finite numbers, in `score_range` when given; `on_bad_score="drop"` drops and counts
    rows with another label instead of refusing the file (sentemb.data.scores)."""
    path = Path(path)
    check = ScoreCheck(path, score_range, on_bad_score, what=f"label (column '{columns[2]}')")
    pairs, labels = [], []
    for lineno, row in read_csv_rows(path, columns, "labelled pairs"):
        s1, s2 = (" ".join(row[c].split()) for c in columns[:2])
        if not s1 or not s2:
            raise format_error(path, lineno, f"expected two non-empty sentences in {list(columns[:2])}",
                               ",".join(row.values()))
        text = row[columns[2]].strip()
        if check.parse(lineno, text, ",".join(row.values())) is None:
            continue
        pairs.append((s1, s2))
        labels.append(_number(text))
    check.report()
    if not pairs:
        raise DataFormatError(f"{path}: all {check.dropped} rows were dropped (on_bad_score=drop): "
                              f"{check.expected()}")
    if any(isinstance(x, float) for x in labels):
        labels = [float(x) for x in labels]
    return pairs, labels


class PairDataModule(ViewsDataModule):
    provides_labels = "pair"

    """Labelled sentence pairs (V = 2).

    Args:
        path: STS-B folder (format=stsb), SNLI folder (format=snli), csv file (format=csv) or the file of
            format zh / atec / ocnli / simclue.
        split / splits: STS-B split (train) / SNLI splits.
        max_score: divide float scores by this (None: keep them).
        columns: the csv's (sentence1, sentence2, label) column names.
        score_range: [low, high] every score / label must lie in, checked before `max_score` divides them
            (None: stsb and zh 0-5 (zh: 0/1 for the ATEC/BQ/LCQMC/PAWSX files), csv any finite number; not
            used by snli/ocnli, whose labels are names, nor atec/simclue, whose labels are 0/1).
        on_bad_score: "error" (refuse the file, naming the line) or "drop" (drop and count such rows).
    """

    def __init__(self, path: str | Path, tokenizer, batch_builder, format: str = "csv", split: str = "train",
                 splits: tuple[str, ...] | list[str] = ("dev", "test"), max_score: float | None = None,
                 columns: tuple[str, str, str] | list[str] = ("sentence1", "sentence2", "label"),
                 score_range: ScoreRange | list[float] | None = None, on_bad_score: str = "error", **kwargs):
        super().__init__(tokenizer, batch_builder, **kwargs)
        if format not in FORMATS:
            raise SettingError(f"data.format must be one of {FORMATS}, got {format!r}")
        if max_score is not None and not max_score > 0:
            raise SettingError(f"data.max_score must be > 0 or null, got {max_score}")
        self.path, self.format = Path(str(path)).expanduser(), format
        self.split, self.splits, self.max_score, self.columns = split, tuple(splits), max_score, tuple(columns)
        self.score_range, self.on_bad_score = as_score_range(score_range), check_on_bad_score(on_bad_score)

    def read(self) -> ViewsData:
        if self.format == "stsb":
            sp = read_stsb(self.path, self.split, self.score_range or STS_RANGE, self.on_bad_score)
            pairs, labels = list(zip(sp.sentences1, sp.sentences2)), [float(s) for s in sp.scores]
        elif self.format == "zh":
            sp = read_zh_pairs(self.path, score_range=self.score_range, on_bad_score=self.on_bad_score)
            pairs, labels = list(zip(sp.sentences1, sp.sentences2)), [float(s) for s in sp.scores]
        elif self.format in ("snli", "ocnli"):
            nli = read_snli(self.path, self.splits) if self.format == "snli" else read_ocnli(self.path)
            pairs = list(zip(nli.premises, nli.hypotheses))
            labels = [SBERT_LABEL_IDS[label] for label in nli.labels]
        elif self.format in ("atec", "simclue"):
            pairs, labels = (read_atec_train if self.format == "atec" else read_simclue_pairs)(self.path)
        else:
            pairs, labels = read_pair_csv(self.path, self.columns, self.score_range, self.on_bad_score)
        if self.max_score is not None and labels and isinstance(labels[0], float):
            labels = [x / self.max_score for x in labels]
        files = sorted(p for p in self.path.rglob("*") if p.is_file()) if self.path.is_dir() else [self.path]
        stamp = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime) for p in files]
        log.info("%d labelled pairs (%s) from %s", len(pairs), self.format, self.path)
        return ViewsData(texts=pairs, labels=labels, source_id={"files": stamp, "format": self.format,
                                                                "split": self.split, "splits": self.splits,
                                                                "kind": "pairs"})
