"""Intent classification with linear probes on frozen sentence embeddings (SentEval-style transfer; the
few-shot protocol of the intent-detection literature, e.g. Casanueva et al. 2020, Zhang et al. 2021 VaSCL).

For each set (Banking77, CLINC150 in-scope, SNIPS): a multinomial logistic regression trained on the
embeddings of the full training split, and few-shot probes trained on k examples per class (k in `shots`,
drawn without replacement, `n_seeds` draws each). Accuracy x 100 on the test split; few-shot as mean and std
over the draws.
"""

from __future__ import annotations

import logging
import time
import warnings
from collections.abc import Sequence
from pathlib import Path

import numpy as np
from sklearn.exceptions import ConvergenceWarning
from sklearn.linear_model import LogisticRegression

from sentemb.bases import EvaluatorBase
from sentemb.data.intent_readers import INTENT_SETS, read_intent_set
from sentemb.errors import SettingError
from sentemb.evaluation.sts import Encode, encode_unique

log = logging.getLogger(__name__)

__all__ = ["IntentEvaluator", "probe_accuracy", "sample_few_shot"]


def sample_few_shot(labels: Sequence, k: int, rng: np.random.Generator) -> np.ndarray:
    """Indices of exactly `k` examples of every class of `labels` (N,), drawn without replacement and sorted.

    Raises ValueError naming the class when one has fewer than k examples.
    """
    if k < 1:
        raise SettingError(f"few-shot k must be >= 1, got {k}")
    labels = np.asarray(labels)
    picked = []
    for cls in np.unique(labels):
        where = np.flatnonzero(labels == cls)
        if where.size < k:
            raise ValueError(f"class {cls.item()!r} has {where.size} training examples, fewer than k={k}")
        picked.append(rng.choice(where, size=k, replace=False))
    return np.sort(np.concatenate(picked))


def probe_accuracy(train_x: np.ndarray, train_y: Sequence, test_x: np.ndarray, test_y: Sequence,
                   C: float = 1.0, max_iter: int = 200, seed: int = 0) -> float:
    """Accuracy x 100 on (test_x (M, D), test_y (M,)) of a logistic regression fit on (train_x (N, D), train_y)."""
    clf = LogisticRegression(C=C, max_iter=max_iter, random_state=seed)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always", ConvergenceWarning)
        clf.fit(train_x, np.asarray(train_y))
    if any(issubclass(w.category, ConvergenceWarning) for w in caught):
        log.debug("logistic regression stopped at max_iter=%d before converging", max_iter)
    return 100.0 * float((clf.predict(test_x) == np.asarray(test_y)).mean())


class IntentEvaluator(EvaluatorBase):
    """`evaluator(encode)` -> {"<set>_full", "<set>_<k>shot", "<set>_<k>shot_std", "avg_full", "avg_<k>shot"}.

    Args:
        data_dir: the data root (reads en/banking77, en/clinc150, en/snips).
        sets: some of INTENT_SETS.
        shots: the k of the few-shot probes (examples per class); [] for the full probe only.
        n_seeds: draws per k (seeds 0..n_seeds-1).
        full: train the probe on the full training split too.
        C, max_iter: LogisticRegression settings (lbfgs, multinomial).
        normalize: L2-normalise the embeddings before the probe.
    """

    def __init__(self, data_dir: str | Path, sets: Sequence[str] = INTENT_SETS, shots: Sequence[int] = (1, 5, 10),
                 n_seeds: int = 5, full: bool = True, C: float = 1.0, max_iter: int = 200,
                 normalize: bool = False) -> None:
        if isinstance(sets, str):
            sets = (sets,)
        unknown = [s for s in sets if s not in INTENT_SETS]
        if unknown or not sets:
            raise SettingError(f"eval.intent.sets: unknown {unknown} (or none given); expected some of {INTENT_SETS}")
        shots = tuple(int(k) for k in shots)
        if any(k < 1 for k in shots) or n_seeds < 1 or C <= 0 or max_iter < 1:
            raise SettingError(f"eval.intent: shots must be >= 1, n_seeds >= 1, C > 0, max_iter >= 1; got "
                             f"{shots}, {n_seeds}, {C}, {max_iter}")
        if not shots and not full:
            raise SettingError("eval.intent: nothing to do (shots=[] and full=false)")
        self.shots, self.n_seeds, self.full = shots, n_seeds, full
        self.C, self.max_iter, self.normalize = C, max_iter, normalize
        self.data = {name: (read_intent_set(data_dir, name, "train"), read_intent_set(data_dir, name, "test"))
                     for name in sets}
        self.sentences = list(dict.fromkeys(t for tr, te in self.data.values() for t in (*tr.texts, *te.texts)))

    def _probe(self, train_x, train_y, test_x, test_y, seed: int = 0) -> float:
        return probe_accuracy(train_x, train_y, test_x, test_y, C=self.C, max_iter=self.max_iter, seed=seed)

    def __call__(self, encode: Encode) -> dict[str, float]:
        emb = encode_unique(encode, self.sentences).astype(np.float32)
        if self.normalize:
            emb /= np.maximum(np.linalg.norm(emb, axis=1, keepdims=True), 1e-12)
        row = {s: i for i, s in enumerate(self.sentences)}
        results: dict[str, float] = {}
        for name, (train, test) in self.data.items():
            start = time.perf_counter()
            train_x, test_x = emb[[row[t] for t in train.texts]], emb[[row[t] for t in test.texts]]
            train_y = np.asarray(train.labels)
            if self.full:
                results[f"{name}_full"] = self._probe(train_x, train_y, test_x, test.labels)
            for k in self.shots:
                accs = []
                for seed in range(self.n_seeds):
                    idx = sample_few_shot(train_y, k, np.random.default_rng(seed))
                    accs.append(self._probe(train_x[idx], train_y[idx], test_x, test.labels, seed))
                results[f"{name}_{k}shot"] = float(np.mean(accs))
                results[f"{name}_{k}shot_std"] = float(np.std(accs))
            log.info("intent %s: %s (%.1f s)", name, {k: round(v, 2) for k, v in results.items()
                                                     if k.startswith(name) and not k.endswith("std")},
                     time.perf_counter() - start)
        keys = (["full"] if self.full else []) + [f"{k}shot" for k in self.shots]
        for key in keys:
            results[f"avg_{key}"] = float(np.mean([results[f"{n}_{key}"] for n in self.data]))
        return results
