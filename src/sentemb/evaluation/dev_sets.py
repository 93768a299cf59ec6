"""Dev sets: the evaluator a run scores during training, on its starting encoder and on its final encoder.

The config group `dev` (conf/dev/) picks one: `stsb` (English STS-B dev, SimCSE's choice; the default) or
`stsb_zh` (Chinese STS-B valid, for the Chinese recipes; a Chinese data option picks it). A dev evaluator is
an `Evaluator` (sentemb.contracts) with two more members:

    primary_metric: str   the score that selects the best encoder (callbacks.sts_dev) and that is logged as
                          val/<primary_metric> (e.g. val/stsb_spearman, what `optimized_metric` names)
    title: str            how logs and tables name it ("STS-B dev")

`scorer(encode) -> {primary_metric, "align", "uniform"}`: Spearman x 100 of cosine similarity on the dev
pairs, and alignment (positives: gold > `positive_threshold`, as SimCSE sec. 5) and uniformity (Wang & Isola,
2020) of their embeddings; one encode call over the unique sentences.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from sentemb.bases import EvaluatorBase
from sentemb.data.sts_readers import SentencePairs, read_stsb
from sentemb.data.zh_readers import ZH_SCORE_RANGES, read_zh_pairs, zh_task_path
from sentemb.errors import SettingError
from sentemb.evaluation.align_uniform import alignment, uniformity
from sentemb.evaluation.sts import Encode, encode_unique, spearman_cosine

__all__ = ["ChineseSTSBDevScorer", "DevScorer", "STSBDevScorer", "checked_dev"]


class DevScorer(EvaluatorBase):
    """Scores an encode function on scored sentence pairs `pairs` (gold 0-5); see the module docstring."""

    def __init__(self, pairs: SentencePairs, primary_metric: str, title: str, positive_threshold: float = 4.0):
        self.pairs, self.primary_metric, self.title = pairs, primary_metric, title
        self.sentences = list(dict.fromkeys((*pairs.sentences1, *pairs.sentences2)))
        row = {s: i for i, s in enumerate(self.sentences)}
        self.left = np.array([row[s] for s in pairs.sentences1])  # (P,) rows of the unique sentences
        self.right = np.array([row[s] for s in pairs.sentences2])  # (P,)
        self.positive = pairs.scores > positive_threshold  # (P,) bool: SimCSE, gold higher than 4

    def __call__(self, encode: Encode) -> dict[str, float]:
        emb = encode_unique(encode, self.sentences)  # (N unique, D)
        a, b = emb[self.left], emb[self.right]
        return {
            self.primary_metric: spearman_cosine(a, b, self.pairs.scores),
            "align": alignment(a[self.positive], b[self.positive]),
            "uniform": uniformity(emb),
        }


class STSBDevScorer(DevScorer):
    """English STS-B dev (<data_dir>/en/STS/STSBenchmark/sts-dev.csv, 1,500 pairs): `stsb_spearman`."""

    def __init__(self, data_dir: str | Path, positive_threshold: float = 4.0):
        pairs = read_stsb(Path(data_dir) / "en" / "STS" / "STSBenchmark", "dev")
        super().__init__(pairs, "stsb_spearman", "STS-B dev", positive_threshold)


class ChineseSTSBDevScorer(DevScorer):
    """Chinese STS-B valid (<data_dir>/zh/STS-B/STS-B.valid.data, gold 0-5): `stsb_zh_spearman`."""

    def __init__(self, data_dir: str | Path, positive_threshold: float = 4.0):
        pairs = read_zh_pairs(zh_task_path(data_dir, "STS-B", "valid"), name="STS-B.valid",
                              score_range=ZH_SCORE_RANGES["STS-B"])
        super().__init__(pairs, "stsb_zh_spearman", "Chinese STS-B dev", positive_threshold)


def checked_dev(dev, setting: str = "dev"):
    """`dev` itself when it is callable and has a `primary_metric` string and a `title`; otherwise a SettingError
    naming `setting` (the config key that gave it)."""
    if not callable(dev) or not isinstance(getattr(dev, "primary_metric", None), str):
        raise SettingError(f"{setting}: {type(dev).__name__} is not a dev evaluator: it needs `__call__(encode)` and "
                           "a `primary_metric` string, the score that selects the best encoder "
                           "(see sentemb.evaluation.dev_sets)")
    if not isinstance(getattr(dev, "title", None), str):
        raise SettingError(f"{setting}: {type(dev).__name__} has no `title` string (how logs name the dev set)")
    return dev
