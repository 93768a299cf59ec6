"""Nearest-centroid intent accuracy: a parameter-free probe of how well embeddings group by label.

For each data set, every training text is embedded and L2-normalised; the centroid of a label is the mean
of its training embeddings (normalised again). A test text is assigned the label of the centroid with the
highest cosine similarity; the score is accuracy x 100 on the test split (Banking77 test, CLINC150 test
in-scope, SNIPS test). Labels of the test split that have no training text count as errors.
`max_train_per_label` builds the centroids from a seeded random subset of each label's training texts
(cheaper on CPU; None = all of them).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

from sentemb.bases import EvaluatorBase
from sentemb.data.clustering_readers import LabelledTexts
from sentemb.data.intent_readers import read_banking77, read_clinc150, read_snips
from sentemb.errors import SettingError
from sentemb.evaluation.sts import Encode, encode_unique

TASKS = ("banking77", "clinc150", "snips")


def load_intent_task(data_dir: str | Path, task: str) -> tuple[LabelledTexts, LabelledTexts]:
    """(train, test) of `task` under the data root."""
    en = Path(data_dir) / "en"
    if task == "banking77":
        return read_banking77(en / "banking77", "train"), read_banking77(en / "banking77", "test")
    if task == "clinc150":
        path = en / "clinc150" / "data_full.json"
        return read_clinc150(path, "train"), read_clinc150(path, "test")
    if task == "snips":
        return read_snips(en / "snips", "train"), read_snips(en / "snips", "test")
    raise SettingError(f"unknown intent task {task!r}; expected one of {TASKS}")


def _unit(x: np.ndarray) -> np.ndarray:
    return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)


def nearest_centroid_accuracy(train_emb: np.ndarray, train_labels: Sequence, test_emb: np.ndarray,
                              test_labels: Sequence) -> float:
    """Accuracy x 100 of the nearest (cosine) class centroid; embeddings (N, D), labels any hashable."""
    names = sorted(set(train_labels), key=str)
    index = {name: i for i, name in enumerate(names)}
    train_ids = np.array([index[label] for label in train_labels])
    unit = _unit(np.asarray(train_emb, dtype=np.float64))
    centroids = _unit(np.stack([unit[train_ids == i].mean(0) for i in range(len(names))]))
    pred = (_unit(np.asarray(test_emb, dtype=np.float64)) @ centroids.T).argmax(1)
    gold = np.array([index.get(label, -1) for label in test_labels])
    return float((pred == gold).mean() * 100.0)


class NearestCentroidEvaluator(EvaluatorBase):
    """`evaluator(encode)` -> {task: accuracy x 100, ..., "avg": mean}; one encode call per task."""

    def __init__(self, data_dir: str | Path, tasks: Sequence[str] = ("banking77",),
                 max_train_per_label: int | None = None, seed: int = 0):
        if isinstance(tasks, str):
            tasks = (tasks,)
        unknown = [t for t in tasks if t not in TASKS]
        if unknown or not tasks:
            raise SettingError(f"unknown intent tasks {unknown} (or none given); expected some of {TASKS}")
        if max_train_per_label is not None and max_train_per_label < 1:
            raise SettingError(f"max_train_per_label must be >= 1 or null, got {max_train_per_label}")
        self.max_train_per_label, self.seed = max_train_per_label, seed
        self.data = {t: self._subsample(*load_intent_task(data_dir, t)) for t in tasks}

    def _subsample(self, train: LabelledTexts, test: LabelledTexts) -> tuple[LabelledTexts, LabelledTexts]:
        if self.max_train_per_label is None:
            return train, test
        rng = np.random.default_rng(self.seed)
        keep = []
        for label in sorted(set(train.labels)):
            rows = [i for i, y in enumerate(train.labels) if y == label]
            keep += sorted(rng.permutation(rows)[: self.max_train_per_label].tolist())
        keep.sort()
        return LabelledTexts(train.name, [train.texts[i] for i in keep], [train.labels[i] for i in keep]), test

    def __call__(self, encode: Encode) -> dict[str, float]:
        scores = {}
        for task, (train, test) in self.data.items():
            sentences = list(dict.fromkeys((*train.texts, *test.texts)))
            emb = encode_unique(encode, sentences)
            row = {s: i for i, s in enumerate(sentences)}
            scores[task] = nearest_centroid_accuracy(emb[[row[s] for s in train.texts]], train.labels,
                                                     emb[[row[s] for s in test.texts]], test.labels)
        scores["avg"] = float(np.mean(list(scores.values())))
        return scores
