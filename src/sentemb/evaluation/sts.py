"""STS evaluation, protocol of SentEval (Conneau & Kiela 2018) as used by SimCSE (Gao et al. 2021).

Score = Spearman rank correlation x 100 between the cosine similarity of the two sentence embeddings and the
gold score. STS12-16 combine their subsets by `aggregation`:
    "all"   concatenate predictions and gold of every subset of the year, then one Spearman (SimCSE's choice);
    "mean"  unweighted mean of per-subset Spearman;
    "wmean" mean of per-subset Spearman weighted by subset size (SentEval's "wmean").
STSBenchmark and SICKRelatedness are scored on one split (default test), unsupervised, as SimCSE does.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from scipy.stats import spearmanr

from sentemb.bases import EvaluatorBase
from sentemb.data.sts_readers import STS_YEARS, SentencePairs, read_sick, read_sts_year, read_stsb, sick_path
from sentemb.errors import SettingError

__all__ = ["AGGREGATIONS", "STS_TASKS", "STSEvaluator", "cosine_rows", "encode_unique", "load_sts_task",
           "spearman_cosine", "stsb_dev_pairs"]

STS_TASKS = (*STS_YEARS, "STSBenchmark", "SICKRelatedness")
AGGREGATIONS = ("all", "mean", "wmean")
Encode = Callable[[list[str]], np.ndarray]


def cosine_rows(emb1: np.ndarray, emb2: np.ndarray) -> np.ndarray:
    """Row-wise cosine similarity of (N, D) and (N, D) -> (N,) float64; NaNs and zero vectors give 0, as
    SentEval's `np.nan_to_num(cosine(np.nan_to_num(a), np.nan_to_num(b)))`."""
    a = np.nan_to_num(np.asarray(emb1, dtype=np.float64))
    b = np.nan_to_num(np.asarray(emb2, dtype=np.float64))
    if a.ndim != 2 or a.shape != b.shape:
        raise ValueError(f"cosine_rows expects two (N, D) arrays of the same shape, got {a.shape} and {b.shape}")
    with np.errstate(invalid="ignore", divide="ignore"):
        sims = (a * b).sum(1) / (np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1))
    return np.nan_to_num(sims)


def _spearman100(pred: np.ndarray, gold: np.ndarray) -> float:
    return float(spearmanr(pred, gold).correlation) * 100.0


def spearman_cosine(emb1: np.ndarray, emb2: np.ndarray, gold: np.ndarray) -> float:
    """Spearman x 100 between cosine(emb1[i], emb2[i]) and gold[i]; emb1, emb2 (N, D), gold (N,)."""
    return _spearman100(cosine_rows(emb1, emb2), np.asarray(gold, dtype=np.float64))


def load_sts_task(data_dir: str | Path, task: str, stsb_split: str = "test",
                  sick_split: str = "test") -> list[SentencePairs]:
    """The SentencePairs of one task under the data root: one per subset for STS12-16, else one."""
    sts = Path(data_dir) / "en" / "STS"
    if task in STS_YEARS:
        return read_sts_year(sts / f"{task}-en-test", task)
    if task == "STSBenchmark":
        return [read_stsb(sts / "STSBenchmark", stsb_split)]
    if task == "SICKRelatedness":
        return [read_sick(sick_path(data_dir, sick_split))]
    raise SettingError(f"unknown STS task {task!r}; expected one of {STS_TASKS}")


def stsb_dev_pairs(data_dir: str | Path) -> SentencePairs:
    """STS-B dev pairs (1500) under the data root, for model selection during training."""
    return read_stsb(Path(data_dir) / "en" / "STS" / "STSBenchmark", "dev")


def encode_unique(encode: Encode, sentences: list[str]) -> np.ndarray:
    """Call `encode` once on `sentences` and check the result is (len(sentences), D); returns float64."""
    emb = encode(sentences)
    if hasattr(emb, "detach"):  # a torch tensor
        emb = emb.detach().float().cpu().numpy()
    emb = np.asarray(emb, dtype=np.float64)
    if emb.ndim != 2 or emb.shape[0] != len(sentences):
        raise ValueError(f"encode returned shape {emb.shape} for {len(sentences)} sentences; expected "
                         f"({len(sentences)}, D)")
    return emb


class STSEvaluator(EvaluatorBase):
    """Spearman x 100 of cosine similarity on STS12-16, STS-B and SICK-R (SentEval/SimCSE protocol).

    `evaluator(encode)` -> {task: score, ..., "avg": mean of the task scores}, where
    `encode(sentences: list[str]) -> np.ndarray (N, D)` is called once on every unique sentence of all
    selected tasks (its caller may sort by length and batch, e.g. with `self.batch_size`).
    Per-subset scores of the last call are kept in `self.details` ({task: {subset: spearman}}).
    """

    def __init__(self, data_dir: str | Path, tasks: Sequence[str] = STS_TASKS, aggregation: str = "all",
                 stsb_split: str = "test", sick_split: str = "test", batch_size: int = 128) -> None:
        if isinstance(tasks, str):
            tasks = (tasks,)
        unknown = [t for t in tasks if t not in STS_TASKS]
        if unknown or not tasks:
            raise SettingError(f"unknown STS tasks {unknown} (or none given); expected some of {STS_TASKS}")
        if aggregation not in AGGREGATIONS:
            raise SettingError(f"unknown aggregation {aggregation!r}; expected one of {AGGREGATIONS}")
        self.data_dir = Path(data_dir)
        self.tasks = tuple(tasks)
        self.aggregation = aggregation
        self.stsb_split, self.sick_split = stsb_split, sick_split
        self.batch_size = batch_size
        self.data = {t: load_sts_task(self.data_dir, t, stsb_split, sick_split) for t in self.tasks}
        self.sentences = list(dict.fromkeys(
            s for subsets in self.data.values() for p in subsets for s in (*p.sentences1, *p.sentences2)))
        self.details: dict[str, dict[str, float]] = {}

    def _score_task(self, task: str, subsets: list[SentencePairs], emb: np.ndarray,
                    row: dict[str, int]) -> float:
        preds, golds, per_subset = [], [], {}
        for pairs in subsets:
            pred = cosine_rows(emb[[row[s] for s in pairs.sentences1]], emb[[row[s] for s in pairs.sentences2]])
            preds.append(pred)
            golds.append(pairs.scores)
            per_subset[pairs.name] = _spearman100(pred, pairs.scores)
        self.details[task] = per_subset
        if len(subsets) == 1 or self.aggregation == "all":
            return _spearman100(np.concatenate(preds), np.concatenate(golds))
        values = np.array(list(per_subset.values()))
        if self.aggregation == "mean":
            return float(values.mean())
        return float(np.average(values, weights=[len(p) for p in subsets]))

    def __call__(self, encode: Encode) -> dict[str, float]:
        emb = encode_unique(encode, self.sentences)
        row = {s: i for i, s in enumerate(self.sentences)}
        self.details = {}
        results = {task: self._score_task(task, subsets, emb, row) for task, subsets in self.data.items()}
        results["avg"] = float(np.mean([results[t] for t in self.tasks]))
        return results
