"""Short-text clustering evaluation as in SCCL (Zhang et al. 2021) and VaSCL (Zhang et al. 2021).

K-means (sklearn, K = number of gold classes) on the frozen embeddings, repeated over `n_seeds` seeds; each
run is scored with
    ACC = max over one-to-one maps m of clusters to classes of mean_i [y_i == m(c_i)]
          (the Hungarian algorithm on the K x K contingency table, `scipy.optimize.linear_sum_assignment`),
    NMI = normalised mutual information (arithmetic mean normalisation, sklearn's default),
    ARI = adjusted Rand index,
and reported x 100 as mean and std over the seeds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from scipy.optimize import linear_sum_assignment
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score, normalized_mutual_info_score

from sentemb.bases import EvaluatorBase
from sentemb.data.clustering_readers import STC_SETS, read_stc, stc_dir
from sentemb.errors import SettingError
from sentemb.evaluation.sts import Encode, encode_unique

log = logging.getLogger(__name__)

__all__ = ["ClusteringEvaluator", "cluster_accuracy", "clustering_scores"]


def _codes(labels: Sequence) -> np.ndarray:
    return np.unique(np.asarray(labels), return_inverse=True)[1].reshape(-1)


def cluster_accuracy(gold: Sequence, predicted: Sequence) -> float:
    """Accuracy in [0, 1] of `predicted` cluster ids against `gold` labels under the best one-to-one
    mapping of clusters to labels (Hungarian matching; surplus clusters count as errors). gold, predicted (N,).
    """
    y, c = _codes(gold), _codes(predicted)
    if y.shape != c.shape or y.size == 0:
        raise ValueError(f"cluster_accuracy needs two non-empty label arrays of the same length, got {y.shape} "
                         f"and {c.shape}")
    table = np.zeros((c.max() + 1, y.max() + 1), dtype=np.int64)
    np.add.at(table, (c, y), 1)
    rows, cols = linear_sum_assignment(table, maximize=True)
    return float(table[rows, cols].sum() / y.size)


def clustering_scores(gold: Sequence, predicted: Sequence) -> dict[str, float]:
    """{"acc", "nmi", "ari"} x 100 of one clustering."""
    return {"acc": 100 * cluster_accuracy(gold, predicted),
            "nmi": 100 * float(normalized_mutual_info_score(gold, predicted)),
            "ari": 100 * float(adjusted_rand_score(gold, predicted))}


class ClusteringEvaluator(EvaluatorBase):
    """`evaluator(encode)` -> {"<set>_acc", "<set>_acc_std", ..nmi.., ..ari.., "avg_acc", "avg_nmi", "avg_ari"}.

    Args:
        data_dir: the data root (reads en/stc).
        sets: some of STC_SETS.
        n_seeds: K-means runs (seeds 0..n_seeds-1) whose scores are averaged.
        n_init: K-means initialisations per run (sklearn keeps the lowest inertia).
        max_iter: Lloyd iterations per initialisation.
        normalize: L2-normalise the embeddings first (spherical-like k-means); SCCL clusters raw vectors.
        max_texts: keep a random N texts of each set (seed 0; quick checks); null = all.
    Keys are lower-case set names; `self.details` keeps per-seed scores of the last call.
    """

    def __init__(self, data_dir: str | Path, sets: Sequence[str] = STC_SETS, n_seeds: int = 5, n_init: int = 1,
                 max_iter: int = 300, normalize: bool = False, max_texts: int | None = None) -> None:
        if isinstance(sets, str):
            sets = (sets,)
        unknown = [s for s in sets if s not in STC_SETS]
        if unknown or not sets:
            raise SettingError(f"eval.clustering.sets: unknown {unknown} (or none given); expected some of {STC_SETS}")
        if n_seeds < 1 or n_init < 1 or max_iter < 1:
            raise SettingError(f"eval.clustering: n_seeds, n_init and max_iter must be >= 1, got {n_seeds}, "
                             f"{n_init}, {max_iter}")
        self.n_seeds, self.n_init, self.max_iter, self.normalize = n_seeds, n_init, max_iter, normalize
        self.data = {}
        for name in sets:
            texts = read_stc(stc_dir(data_dir), name)
            if max_texts is not None and max_texts < len(texts):  # the files are sorted by class: sample
                keep = np.sort(np.random.default_rng(0).choice(len(texts), size=max_texts, replace=False))
                texts = type(texts)(texts.name, [texts.texts[i] for i in keep], [texts.labels[i] for i in keep])
            self.data[name] = texts
        self.sentences = list(dict.fromkeys(t for d in self.data.values() for t in d.texts))
        self.details: dict[str, list[dict[str, float]]] = {}

    def _cluster(self, emb: np.ndarray, labels: list[str]) -> list[dict[str, float]]:
        k = len(set(labels))
        if self.normalize:
            emb = emb / np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        runs = []
        for seed in range(self.n_seeds):
            km = KMeans(n_clusters=k, n_init=self.n_init, max_iter=self.max_iter, random_state=seed)
            runs.append(clustering_scores(labels, km.fit_predict(emb)))
        return runs

    def __call__(self, encode: Encode) -> dict[str, float]:
        emb = encode_unique(encode, self.sentences).astype(np.float32)
        row = {s: i for i, s in enumerate(self.sentences)}
        results: dict[str, float] = {}
        self.details = {}
        for name, data in self.data.items():
            start = time.perf_counter()
            runs = self._cluster(emb[[row[t] for t in data.texts]], data.labels)
            self.details[name] = runs
            for metric in ("acc", "nmi", "ari"):
                values = np.array([r[metric] for r in runs])
                results[f"{name.lower()}_{metric}"] = float(values.mean())
                results[f"{name.lower()}_{metric}_std"] = float(values.std())
            log.info("clustering %s: ACC %.2f NMI %.2f ARI %.2f (%d seeds, %.1f s)", name,
                     results[f"{name.lower()}_acc"], results[f"{name.lower()}_nmi"],
                     results[f"{name.lower()}_ari"], self.n_seeds, time.perf_counter() - start)
        for metric in ("acc", "nmi", "ari"):
            results[f"avg_{metric}"] = float(np.mean([results[f"{n.lower()}_{metric}"] for n in self.data]))
        return results
