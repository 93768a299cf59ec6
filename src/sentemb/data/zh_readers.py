"""Readers for the Chinese STS / paraphrase sets used in the CoSENT tables (Su 2022; text2vec).

Files `<data>/zh/<TASK>/<TASK>.<split>.data`: `s1 TAB s2 TAB gold` a line, gold = 0-5 similarity (STS-B)
or a 0/1 paraphrase label (ATEC, BQ, LCQMC, PAWSX), checked against that range (ZH_SCORE_RANGES).
Returned as `SentencePairs` (scores float64, (N,)).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sentemb.data.clustering_readers import read_lines
from sentemb.data.errors import format_error
from sentemb.data.scores import BINARY, STS_RANGE, ScoreCheck, ScoreRange, as_score_range
from sentemb.data.sts_readers import SentencePairs
from sentemb.errors import SettingError

__all__ = ["ZH_SCORE_RANGES", "ZH_SPLITS", "ZH_TASKS", "read_zh_pairs", "zh_task_path"]

ZH_TASKS = ("STS-B", "ATEC", "BQ", "LCQMC", "PAWSX")
ZH_SCORE_RANGES = {"STS-B": STS_RANGE, "ATEC": BINARY, "BQ": BINARY, "LCQMC": BINARY, "PAWSX": BINARY}
ZH_SPLITS = ("train", "valid", "test")


def zh_task_path(data_dir: str | Path, task: str, split: str = "test") -> Path:
    """`<data_dir>/zh/<task>/<task>.<split>.data`."""
    if task not in ZH_TASKS:
        raise SettingError(f"unknown Chinese STS task {task!r}; expected one of {ZH_TASKS}")
    if split not in ZH_SPLITS:
        raise SettingError(f"unknown split {split!r} for {task}; expected one of {ZH_SPLITS}")
    return Path(data_dir) / "zh" / task / f"{task}.{split}.data"


def read_zh_pairs(path: str | Path, name: str | None = None, score_range: ScoreRange | None = None,
                  on_bad_score: str = "error") -> SentencePairs:
    """Read `s1 TAB s2 TAB gold` lines; blank lines are skipped, anything else malformed names its line.

    Sentences are stripped but not otherwise changed (Chinese has no word spaces to normalise).
    `score_range` None: the range of the task the file is named after (`<TASK>.<split>.data`, see
    ZH_SCORE_RANGES), 0-5 for other names; `on_bad_score` "error" or "drop" (sentemb.data.scores).
    """
    path = Path(path)
    score_range = as_score_range(score_range) or ZH_SCORE_RANGES.get(path.name.split(".")[0], STS_RANGE)
    check = ScoreCheck(path, score_range, on_bad_score, what="label" if score_range.integers else "score")
    s1, s2, scores = [], [], []
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 3:
            raise format_error(path, lineno, "expected 'sentence1<TAB>sentence2<TAB>score'", line)
        score = check.parse(lineno, fields[2], line)
        if score is None:
            continue
        s1.append(fields[0].strip())
        s2.append(fields[1].strip())
        scores.append(score)
    if not scores:
        raise format_error(path, 1, "expected at least one 'sentence1<TAB>sentence2<TAB>score' line", "")
    return SentencePairs(name or path.stem, s1, s2, np.asarray(scores, dtype=np.float64), check.report())
