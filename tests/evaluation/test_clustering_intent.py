"""Tests of the clustering metrics (Hungarian ACC, NMI, ARI), few-shot sampling, and of the clustering,
intent and Chinese STS evaluators on small files written here."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest

from sentemb.evaluation.clustering import ClusteringEvaluator, cluster_accuracy, clustering_scores
from sentemb.evaluation.intent import IntentEvaluator, sample_few_shot
from sentemb.evaluation.sts_zh import ChineseSTSEvaluator


def test_acc_is_one_on_a_permuted_labelling() -> None:
    gold = [0, 0, 1, 1, 2, 2, 2]
    for perm in itertools.permutations(["a", "b", "c"]):
        assert cluster_accuracy(gold, [perm[g] for g in gold]) == 1.0


def test_acc_against_brute_force() -> None:
    assert cluster_accuracy([0, 0, 1, 1, 2, 2], [1, 1, 2, 2, 2, 0]) == pytest.approx(5 / 6)
    rng = np.random.default_rng(0)
    gold, pred = rng.integers(0, 4, 40), rng.integers(0, 4, 40)
    best = max(np.mean([perm[p] == g for g, p in zip(gold, pred)]) for perm in itertools.permutations(range(4)))
    assert cluster_accuracy(gold, pred) == pytest.approx(best)
    # more clusters than classes: the surplus cluster counts as wrong
    assert cluster_accuracy([0, 0, 1, 1], [0, 0, 1, 2]) == pytest.approx(3 / 4)


def test_nmi_and_ari_by_hand() -> None:
    # gold {0,0,1,1}, clusters {0,0,0,1}: I = .5 ln(4/3) + .25 ln(2/3) + .25 ln 2, H(Y) = ln 2,
    # H(C) = -(.75 ln .75 + .25 ln .25); NMI = I / ((H(Y) + H(C)) / 2)
    mi = 0.5 * math.log(4 / 3) + 0.25 * math.log(2 / 3) + 0.25 * math.log(2)
    hc = -(0.75 * math.log(0.75) + 0.25 * math.log(0.25))
    scores = clustering_scores([0, 0, 1, 1], [0, 0, 0, 1])
    assert scores["nmi"] == pytest.approx(100 * mi / ((math.log(2) + hc) / 2))
    assert scores["acc"] == pytest.approx(75.0)
    # ARI: pairs agree/disagree; index = sum C(n_ij,2) = 1, a = C(2,2)*2 = 2, b = C(3,2) = 3, total C(4,2) = 6
    expected = (1 - 2 * 3 / 6) / ((2 + 3) / 2 - 2 * 3 / 6)
    assert scores["ari"] == pytest.approx(100 * expected)
    assert clustering_scores(["x", "x", "y"], [5, 5, 7]) == {"acc": 100.0, "nmi": 100.0, "ari": 100.0}


def test_few_shot_takes_exactly_k_per_class() -> None:
    labels = np.array(["a"] * 7 + ["b"] * 12 + ["c"] * 5)
    for k in (1, 3, 5):
        for seed in range(3):
            idx = sample_few_shot(labels, k, np.random.default_rng(seed))
            assert len(set(idx.tolist())) == len(idx) == 3 * k
            assert {c: int((labels[idx] == c).sum()) for c in "abc"} == {"a": k, "b": k, "c": k}
    a, b = (sample_few_shot(labels, 3, np.random.default_rng(s)) for s in (0, 1))
    assert not np.array_equal(a, b)
    with pytest.raises(ValueError, match="'c' has 5 training examples"):
        sample_few_shot(labels, 6, np.random.default_rng(0))


def _onehot_encode(sentences: list[str]) -> np.ndarray:
    """Embedding = one-hot of the topic word that starts each text, plus small noise: perfectly separable."""
    topics = ["alpha", "beta", "gamma"]
    rng = np.random.default_rng(len(sentences))
    emb = np.array([[float(s.split()[0] == t) for t in topics] for s in sentences])
    return emb + 0.01 * rng.normal(size=emb.shape)


def _write_stc(root: Path) -> None:
    folder = root / "en" / "stc"
    folder.mkdir(parents=True)
    topics = ["alpha", "beta", "gamma"]
    texts = [f"{topics[i % 3]} text {i}" for i in range(30)]
    (folder / "SearchSnippets.txt").write_text("\ufeff" + "\n".join(texts) + "\n", encoding="utf8")
    (folder / "SearchSnippets_gnd.txt").write_text("\n".join(str(i % 3 + 1) for i in range(30)) + "\n")


def test_clustering_evaluator_on_separable_data(tmp_path: Path) -> None:
    _write_stc(tmp_path)
    evaluator = ClusteringEvaluator(tmp_path, sets=["SearchSnippets"], n_seeds=3)
    results = evaluator(_onehot_encode)
    assert results["searchsnippets_acc"] == pytest.approx(100.0)
    assert results["searchsnippets_nmi"] == pytest.approx(100.0) and results["avg_ari"] == pytest.approx(100.0)
    assert results["searchsnippets_acc_std"] == 0.0 and len(evaluator.details["SearchSnippets"]) == 3
    with pytest.raises(ValueError, match="eval.clustering.sets"):
        ClusteringEvaluator(tmp_path, sets=["Tweets"])


def _write_intents(root: Path) -> None:
    topics = ["alpha", "beta", "gamma"]
    bank = root / "en" / "banking77"
    bank.mkdir(parents=True)
    for split, n in (("train", 30), ("test", 9)):
        rows = "".join(f"{topics[i % 3]} {split} {i},{topics[i % 3]}_intent\n" for i in range(n))
        (bank / f"{split}.csv").write_text("text,category\n" + rows)
    clinc = root / "en" / "clinc150"
    clinc.mkdir(parents=True)
    data = {s: [[f"{topics[i % 3]} c{s} {i}", topics[i % 3]] for i in range(30 if s == "train" else 9)]
            for s in ("train", "val", "test")}
    data |= {f"oos_{s}": [["delta unrelated", "oos"]] for s in ("train", "val", "test")}
    (clinc / "data_full.json").write_text(json.dumps(data))


def test_intent_evaluator_on_separable_data(tmp_path: Path) -> None:
    _write_intents(tmp_path)
    evaluator = IntentEvaluator(tmp_path, sets=["banking77", "clinc150"], shots=[1, 5], n_seeds=2, C=100.0)
    assert "delta unrelated" not in evaluator.sentences  # CLINC150 out-of-scope kept out
    results = evaluator(_onehot_encode)
    assert set(results) == {f"{s}_{m}" for s in ("banking77", "clinc150", "avg") for m in ("full", "1shot", "5shot")} \
        | {f"{s}_{k}shot_std" for s in ("banking77", "clinc150") for k in (1, 5)}
    assert results["banking77_full"] == 100.0 and results["avg_5shot"] == 100.0
    with pytest.raises(ValueError, match="eval.intent"):
        IntentEvaluator(tmp_path, sets=["banking77"], shots=[0])


def test_chinese_sts_evaluator(tmp_path: Path) -> None:
    rows = [("甲一", "甲二", 5), ("甲一", "乙二", 1), ("乙一", "乙三", 4), ("丙一", "甲三", 0)]
    for task in ("STS-B", "PAWSX"):
        folder = tmp_path / "zh" / task
        folder.mkdir(parents=True)
        gold = (lambda s: s) if task == "STS-B" else (lambda s: int(s >= 3))  # PAWSX holds 0/1 labels
        (folder / f"{task}.test.data").write_text("".join(f"{a}\t{b}\t{gold(s)}\n" for a, b, s in rows),
                                                  encoding="utf8")

    def encode(sentences: list[str]) -> np.ndarray:
        return np.array([[float(s[0] == c) for c in "甲乙丙"] for s in sentences]) + 0.01

    calls = []
    evaluator = ChineseSTSEvaluator(tmp_path, tasks=["STS-B", "PAWSX"])
    results = evaluator(lambda s: calls.append(list(s)) or encode(s))
    assert set(results) == {"stsb", "pawsx", "avg"} and len(calls) == 1
    assert len(calls[0]) == len(set(calls[0])) == 7  # each unique sentence once
    # cosine: same first character -> ~1, else ~0: ranks (high, low, high, low) vs gold (5, 1, 4, 0)
    assert results["stsb"] == pytest.approx(100 * 0.894427191, rel=1e-6)
