"""Chinese STS evaluation as in the CoSENT tables (Su 2022; shibing624/text2vec): Spearman x 100 between the
cosine similarity of the two sentence embeddings and the gold score (STS-B, 0-5) or label (ATEC, BQ, LCQMC,
PAWSX, 0/1), each task on its own test file, and their unweighted mean.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sentemb.bases import EvaluatorBase
from sentemb.data.zh_readers import ZH_SCORE_RANGES, ZH_TASKS, read_zh_pairs, zh_task_path
from sentemb.errors import SettingError
from sentemb.evaluation.sts import Encode, encode_unique, spearman_cosine

__all__ = ["ZH_METRIC_NAMES", "ChineseSTSEvaluator"]

ZH_METRIC_NAMES = {"STS-B": "stsb", "ATEC": "atec", "BQ": "bq", "LCQMC": "lcqmc", "PAWSX": "pawsx"}


class ChineseSTSEvaluator(EvaluatorBase):
    """`evaluator(encode)` -> {"stsb", "atec", "bq", "lcqmc", "pawsx", "avg"} (Spearman x 100).

    `encode` is called once on every unique sentence of the selected tasks. `max_pairs` keeps the first N
    pairs of each file (quick checks); null = all.
    """

    def __init__(self, data_dir: str | Path, tasks: Sequence[str] = ZH_TASKS, split: str = "test",
                 max_pairs: int | None = None) -> None:
        if isinstance(tasks, str):
            tasks = (tasks,)
        unknown = [t for t in tasks if t not in ZH_TASKS]
        if unknown or not tasks:
            raise SettingError(f"eval.sts_zh.tasks: unknown {unknown} (or none given); expected some of {ZH_TASKS}")
        self.split = split
        self.data = {}
        for task in tasks:
            pairs = read_zh_pairs(zh_task_path(data_dir, task, split), name=f"{task}.{split}",
                                  score_range=ZH_SCORE_RANGES[task])
            if max_pairs is not None:
                pairs = type(pairs)(pairs.name, pairs.sentences1[:max_pairs], pairs.sentences2[:max_pairs],
                                    pairs.scores[:max_pairs])
            self.data[task] = pairs
        self.sentences = list(dict.fromkeys(
            s for p in self.data.values() for s in (*p.sentences1, *p.sentences2)))

    def __call__(self, encode: Encode) -> dict[str, float]:
        emb = encode_unique(encode, self.sentences)
        row = {s: i for i, s in enumerate(self.sentences)}
        results = {}
        for task, pairs in self.data.items():
            a = emb[[row[s] for s in pairs.sentences1]]
            b = emb[[row[s] for s in pairs.sentences2]]
            results[ZH_METRIC_NAMES[task]] = spearman_cosine(a, b, pairs.scores)
        results["avg"] = float(np.mean(list(results.values())))
        return results
