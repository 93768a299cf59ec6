"""Tests of the STS evaluator: Spearman x 100 of cosine, the three aggregations, one encode call."""

from __future__ import annotations

import zlib
from pathlib import Path

import numpy as np
import pytest
from scipy.stats import spearmanr

from sentemb.data.sts_readers import STS_SUBSETS
from sentemb.evaluation.sts import STSEvaluator, cosine_rows, spearman_cosine, stsb_dev_pairs

RNG_DIM = 8


def _vec(sentence: str) -> np.ndarray:
    return np.random.default_rng(zlib.crc32(sentence.encode())).normal(size=RNG_DIM)


class FakeEncoder:
    """Deterministic embedding per sentence; records every call."""

    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def __call__(self, sentences: list[str]) -> np.ndarray:
        self.calls.append(list(sentences))
        return np.stack([_vec(s) for s in sentences])


def _make_data(root: Path) -> dict[str, list[tuple[str, str, float]]]:
    """STS12 (5 subsets of different sizes), STS-B test and SICK test; sentences repeat across tasks."""
    rng = np.random.default_rng(0)
    subsets = {}
    folder = root / "en" / "STS" / "STS12-en-test" / "test-gold"
    folder.mkdir(parents=True)
    for k, subset in enumerate(STS_SUBSETS["STS12"]):
        rows = [(f"s{k}-{i % 4}", f"t{i}", float(rng.uniform(0, 5))) for i in range(6 + 3 * k)]
        subsets[subset] = rows
        (folder / f"STS.input.{subset}.txt").write_text("".join(f"{a}\t{b}\n" for a, b, _ in rows))
        (folder / f"STS.gs.{subset}.txt").write_text("".join(f"{g}\n" for _, _, g in rows))
    stsb = [(f"t{i}", f"u{i}", float(rng.uniform(0, 5))) for i in range(10)]
    (root / "en" / "STS" / "STSBenchmark" / "stsbenchmark").mkdir(parents=True)
    for split in ("dev", "test"):
        (root / "en" / "STS" / "STSBenchmark" / "stsbenchmark" / f"sts-{split}.csv").write_text(
            "".join(f"g\tf\ty\t{i}\t{s}\t{a}\t{b}\n" for i, (a, b, s) in enumerate(stsb)))
    sick = [(f"u{i}", f"s0-{i % 4}", float(rng.uniform(1, 5))) for i in range(7)]
    (root / "en" / "SICK").mkdir(parents=True)
    (root / "en" / "SICK" / "SICK_test_annotated.txt").write_text(
        "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
        + "".join(f"{i}\t{a}\t{b}\t{s}\tNEUTRAL\n" for i, (a, b, s) in enumerate(sick)))
    return {"subsets": subsets, "STSBenchmark": stsb, "SICKRelatedness": sick}


def _expected(rows: list[tuple[str, str, float]]) -> tuple[np.ndarray, np.ndarray]:
    pred = np.array([np.dot(_vec(a), _vec(b)) / np.linalg.norm(_vec(a)) / np.linalg.norm(_vec(b))
                     for a, b, _ in rows])
    return pred, np.array([g for _, _, g in rows])


def test_spearman_cosine_matches_scipy() -> None:
    rng = np.random.default_rng(1)
    a, b, gold = rng.normal(size=(20, 5)), rng.normal(size=(20, 5)), rng.uniform(0, 5, 20)
    cos = np.array([x @ y / np.linalg.norm(x) / np.linalg.norm(y) for x, y in zip(a, b)])
    assert spearman_cosine(a, b, gold) == pytest.approx(spearmanr(cos, gold).correlation * 100)
    assert cosine_rows(np.zeros((1, 3)), np.ones((1, 3))).tolist() == [0.0]  # SentEval's nan_to_num


@pytest.mark.parametrize("aggregation", ["all", "mean", "wmean"])
def test_evaluator_aggregations(tmp_path: Path, aggregation: str) -> None:
    data = _make_data(tmp_path)
    evaluator = STSEvaluator(tmp_path, tasks=("STS12", "STSBenchmark", "SICKRelatedness"), aggregation=aggregation)
    results = evaluator(FakeEncoder())
    per = [_expected(rows) for rows in data["subsets"].values()]
    rhos = [spearmanr(p, g).correlation * 100 for p, g in per]
    sizes = [len(rows) for rows in data["subsets"].values()]
    if aggregation == "all":
        sts12 = spearmanr(np.concatenate([p for p, _ in per]), np.concatenate([g for _, g in per])).correlation * 100
    elif aggregation == "mean":
        sts12 = float(np.mean(rhos))
    else:
        sts12 = float(np.sum(np.array(rhos) * sizes) / np.sum(sizes))
    stsb = spearmanr(*_expected(data["STSBenchmark"])).correlation * 100
    sick = spearmanr(*_expected(data["SICKRelatedness"])).correlation * 100
    assert set(results) == {"STS12", "STSBenchmark", "SICKRelatedness", "avg"}
    assert results["STS12"] == pytest.approx(sts12)
    assert results["STSBenchmark"] == pytest.approx(stsb)
    assert results["SICKRelatedness"] == pytest.approx(sick)
    assert results["avg"] == pytest.approx((sts12 + stsb + sick) / 3)
    assert evaluator.aggregation == aggregation
    assert list(evaluator.details["STS12"].values()) == pytest.approx(rhos)


def test_evaluator_encodes_each_unique_sentence_once(tmp_path: Path) -> None:
    data = _make_data(tmp_path)
    encoder = FakeEncoder()
    STSEvaluator(tmp_path, tasks=("STS12", "STSBenchmark", "SICKRelatedness"))(encoder)
    rows = [r for rs in data["subsets"].values() for r in rs] + data["STSBenchmark"] + data["SICKRelatedness"]
    unique = {s for a, b, _ in rows for s in (a, b)}
    assert len(encoder.calls) == 1
    assert len(encoder.calls[0]) == len(set(encoder.calls[0])) == len(unique)
    assert set(encoder.calls[0]) == unique


def test_evaluator_rejects_bad_arguments_and_bad_encode(tmp_path: Path) -> None:
    _make_data(tmp_path)
    with pytest.raises(ValueError, match="aggregation"):
        STSEvaluator(tmp_path, tasks=("STSBenchmark",), aggregation="median")
    with pytest.raises(ValueError, match="STS17"):
        STSEvaluator(tmp_path, tasks=("STS17",))
    evaluator = STSEvaluator(tmp_path, tasks=("STSBenchmark",))
    with pytest.raises(ValueError, match="encode returned shape"):
        evaluator(lambda s: np.zeros((len(s) - 1, 4)))
    assert len(stsb_dev_pairs(tmp_path)) == 10
