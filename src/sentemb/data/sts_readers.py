"""Readers for the STS evaluation sets in their original formats, following SentEval (Conneau & Kiela 2018).

Each reader returns `SentencePairs`: `sentences1`, `sentences2` (N strings each, whitespace-normalised as
SentEval does: `' '.join(s.split())`) and `scores` (np.ndarray float64, shape (N,), the gold similarity).
Scores are checked against the data set's documented range (`score_range`: STS 0-5, SICK 1-5; see
sentemb.data.scores): a score outside it or not a number is a DataFormatError naming file and line, or with
`on_bad_score="drop"` the pair is dropped and counted (`SentencePairs.dropped`, one warning).

Layout under the data root (`$SENTEMB_DATA_DIR`, see /work/shared/data/SOURCES.md):
    en/STS/STS1{2..6}-en-test/<one subfolder>/STS.input.<subset>.txt + STS.gs.<subset>.txt
        (STS16: STS2016.input.<subset>.txt + STS2016.gs.<subset>.txt)
    en/STS/STSBenchmark/stsbenchmark/sts-{train,dev,test}.csv
    en/SICK/SICK_{train,trial,test_annotated}.txt
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from sentemb.data.errors import DataFormatError, format_error
from sentemb.data.scores import SICK_RANGE, STS_RANGE, ScoreCheck, ScoreRange
from sentemb.data.textio import read_text
from sentemb.errors import MissingFileError, SettingError

__all__ = [
    "STS_SUBSETS", "STS_YEARS", "SICK_FILES", "SentencePairs", "read_sick", "read_stsb", "read_sts_year",
    "sick_path", "stsb_dir", "sts_year_dir",
]

# SentEval's subset lists (senteval/sts.py). STS13 'SMT' is left out: its input is not distributed.
STS_SUBSETS: dict[str, tuple[str, ...]] = {
    "STS12": ("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"),
    "STS13": ("FNWN", "headlines", "OnWN"),
    "STS14": ("deft-forum", "deft-news", "headlines", "images", "OnWN", "tweet-news"),
    "STS15": ("answers-forums", "answers-students", "belief", "headlines", "images"),
    "STS16": ("answer-answer", "headlines", "plagiarism", "postediting", "question-question"),
}
STS_YEARS = tuple(STS_SUBSETS)
_FILE_PREFIX = {"STS16": "STS2016"}  # other years use "STS"
SICK_FILES = {"train": "SICK_train.txt", "trial": "SICK_trial.txt", "dev": "SICK_trial.txt",
              "test": "SICK_test_annotated.txt"}
_SICK_HEADER = ("pair_ID", "sentence_A", "sentence_B", "relatedness_score")


@dataclass(frozen=True)
class SentencePairs:
    """N sentence pairs with gold scores: sentences1[i], sentences2[i] scored scores[i] (float64, (N,));
    `dropped`: pairs left out for a bad score (on_bad_score="drop")."""

    name: str
    sentences1: list[str]
    sentences2: list[str]
    scores: np.ndarray
    dropped: int = 0

    def __post_init__(self) -> None:
        if not len(self.sentences1) == len(self.sentences2) == len(self.scores):
            raise ValueError(f"SentencePairs {self.name!r}: lengths differ ({len(self.sentences1)}, "
                             f"{len(self.sentences2)}, {len(self.scores)})")

    def __len__(self) -> int:
        return len(self.scores)


def _norm(sentence: str) -> str:
    return " ".join(sentence.split())


def _lines(path: Path) -> list[str]:
    return read_text(path).splitlines()


def _require_pairs(path: Path, scores: list[float], check: ScoreCheck) -> None:
    """An evaluation file without any scored pair (empty, or every score dropped) is refused."""
    if not scores:
        dropped = f" ({check.dropped} dropped: {check.expected()})" if check.dropped else ""
        raise DataFormatError(f"{path}: no scored sentence pair in the file{dropped}")


def sts_year_dir(directory: str | Path, year: str) -> Path:
    """The folder holding the STS.input/STS.gs files of `year`: `directory` itself or its one subfolder."""
    directory = Path(directory)
    if year not in STS_SUBSETS:
        raise SettingError(f"unknown STS year {year!r}; expected one of {STS_YEARS}")
    pattern = f"{_FILE_PREFIX.get(year, 'STS')}.gs.*.txt"
    if any(directory.glob(pattern)):
        return directory
    found = sorted({p.parent for p in directory.glob(f"*/{pattern}")})
    if len(found) == 1:
        return found[0]
    if not found:
        raise MissingFileError(
            f"no {pattern} files in '{directory}' or its subfolders ({year}). Set SENTEMB_DATA_DIR to the data "
            "root (the folder holding en/STS) or pass the right directory."
        )
    raise MissingFileError(f"several {year} folders under '{directory}': {[str(p) for p in found]}")


def read_sts_year(directory: str | Path, year: str, score_range: ScoreRange | None = STS_RANGE,
                  on_bad_score: str = "error") -> list[SentencePairs]:
    """Read the SentEval subsets of STS12..STS16, one `SentencePairs` per subset (named `<year>.<subset>`).

    `directory` is e.g. `<data>/en/STS/STS12-en-test` (the one subfolder holding the files is found by glob).
    Input lines are `s1 TAB s2 [TAB ...]` (SentEval keeps the first two fields); gold lines hold one score.
    Pairs with a blank gold line (unscored, STS15/16) are skipped as in SentEval. Gold scores must be
    numbers in `score_range` (0-5; None: any finite number); see the module docstring for `on_bad_score`.
    """
    folder = sts_year_dir(directory, year)
    prefix = _FILE_PREFIX.get(year, "STS")
    subsets = []
    for subset in STS_SUBSETS[year]:
        input_path = folder / f"{prefix}.input.{subset}.txt"
        gold_path = folder / f"{prefix}.gs.{subset}.txt"
        inputs, golds = _lines(input_path), _lines(gold_path)
        if len(inputs) != len(golds):
            raise DataFormatError(f"{gold_path}: {len(golds)} gold lines but {input_path} has "
                                  f"{len(inputs)} input lines; they must pair up line by line")
        s1, s2, scores = [], [], []
        check = ScoreCheck(gold_path, score_range, on_bad_score)
        for lineno, (line, gold) in enumerate(zip(inputs, golds), start=1):
            if not gold.strip():
                continue
            fields = line.split("\t")
            if len(fields) < 2:
                raise format_error(input_path, lineno, "expected 'sentence1<TAB>sentence2'", line)
            score = check.parse(lineno, gold.strip(), gold)
            if score is None:
                continue
            scores.append(score)
            s1.append(_norm(fields[0]))
            s2.append(_norm(fields[1]))
        _require_pairs(gold_path, scores, check)
        subsets.append(SentencePairs(f"{year}.{subset}", s1, s2, np.asarray(scores, dtype=np.float64),
                                     check.report()))
    return subsets


def stsb_dir(directory: str | Path) -> Path:
    """`directory` if it holds sts-*.csv, else its `stsbenchmark` subfolder (SentEval's layout)."""
    directory = Path(directory)
    return directory if any(directory.glob("sts-*.csv")) else directory / "stsbenchmark"


def read_stsb(directory: str | Path, split: str, score_range: ScoreRange | None = STS_RANGE,
              on_bad_score: str = "error") -> SentencePairs:
    """Read STS-B `sts-{split}.csv` (Cer et al. 2017): TAB separated, not csv-quoted, as SentEval reads it.

    Fields (0-based): 4 = score 0-5 (checked against `score_range`), 5 and 6 = the sentences; further
    fields (sources) are ignored; blank lines are skipped.
    """
    if split not in ("train", "dev", "test"):
        raise SettingError(f"unknown STS-B split {split!r}; expected 'train', 'dev' or 'test'")
    path = stsb_dir(directory) / f"sts-{split}.csv"
    s1, s2, scores = [], [], []
    check = ScoreCheck(path, score_range, on_bad_score)
    for lineno, line in enumerate(_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.strip().split("\t")
        if len(fields) < 7:
            raise format_error(path, lineno, "expected >= 7 TAB-separated fields (score in 5th, sentences "
                               "in 6th and 7th)", line)
        score = check.parse(lineno, fields[4], line)
        if score is None:
            continue
        scores.append(score)
        s1.append(_norm(fields[5]))
        s2.append(_norm(fields[6]))
    _require_pairs(path, scores, check)
    return SentencePairs(f"STSBenchmark.{split}", s1, s2, np.asarray(scores, dtype=np.float64), check.report())


def sick_path(data_dir: str | Path, split: str) -> Path:
    """`<data_dir>/en/SICK/SICK_{train,trial,test_annotated}.txt` for split train / trial (or dev) / test."""
    if split not in SICK_FILES:
        raise SettingError(f"unknown SICK split {split!r}; expected one of {sorted(SICK_FILES)}")
    return Path(data_dir) / "en" / "SICK" / SICK_FILES[split]


def read_sick(path: str | Path, score_range: ScoreRange | None = SICK_RANGE,
              on_bad_score: str = "error") -> SentencePairs:
    """Read SICK 2014 (Marelli et al.) relatedness: a header line, then TAB-separated
    pair_ID, sentence_A, sentence_B, relatedness_score (1-5, checked against `score_range`),
    entailment_judgment; blank lines are skipped.
    """
    path = Path(path)
    lines = _lines(path)
    if not lines or tuple(lines[0].strip().split("\t")[:4]) != _SICK_HEADER:
        raise format_error(path, 1, "expected the header 'pair_ID<TAB>sentence_A<TAB>sentence_B<TAB>"
                           "relatedness_score...'", lines[0] if lines else "")
    s1, s2, scores = [], [], []
    check = ScoreCheck(path, score_range, on_bad_score, what="relatedness_score")
    for lineno, line in enumerate(lines[1:], start=2):
        if not line.strip():
            continue
        fields = line.strip().split("\t")
        if len(fields) < 4:
            raise format_error(path, lineno, "expected >= 4 TAB-separated fields "
                               "(pair_ID, sentence_A, sentence_B, relatedness_score)", line)
        score = check.parse(lineno, fields[3], line)
        if score is None:
            continue
        scores.append(score)
        s1.append(_norm(fields[1]))
        s2.append(_norm(fields[2]))
    _require_pairs(path, scores, check)
    name = path.stem.removeprefix("SICK_").removesuffix("_annotated")
    return SentencePairs(f"SICKRelatedness.{name}", s1, s2, np.asarray(scores, dtype=np.float64), check.report())
