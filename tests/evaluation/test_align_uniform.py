"""Tests of alignment / uniformity (Wang & Isola 2020) against naive loops, and of their STS-B evaluator."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
import torch

from sentemb.evaluation.align_uniform import AlignUniformEvaluator, alignment, uniformity


def _unit(v: np.ndarray) -> np.ndarray:
    return v / np.linalg.norm(v)


def _naive_align(x: np.ndarray, y: np.ndarray, alpha: float) -> float:
    return sum(np.linalg.norm(_unit(a) - _unit(b)) ** alpha for a, b in zip(x, y)) / len(x)


def _naive_uniform(x: np.ndarray, t: float) -> float:
    terms = [math.exp(-t * np.linalg.norm(_unit(x[i]) - _unit(x[j])) ** 2)
             for i in range(len(x)) for j in range(i + 1, len(x))]
    return math.log(sum(terms) / len(terms))


@pytest.mark.parametrize("alpha,t", [(2, 2), (1, 0.5), (3, 4)])
def test_against_double_loop(alpha: float, t: float) -> None:
    rng = np.random.default_rng(0)
    x, y = rng.normal(size=(17, 6)), rng.normal(size=(17, 6))
    assert alignment(x, y, alpha) == pytest.approx(_naive_align(x, y, alpha), rel=1e-10)
    assert uniformity(x, t) == pytest.approx(_naive_uniform(x, t), rel=1e-10)
    # torch input (float32) gives the same value up to float32 rounding of the input
    assert alignment(torch.tensor(x, dtype=torch.float32), torch.tensor(y), alpha) == pytest.approx(
        _naive_align(x, y, alpha), rel=1e-5)
    assert uniformity(torch.tensor(x), t) == pytest.approx(_naive_uniform(x, t), rel=1e-10)


def test_extremes_and_errors() -> None:
    x = np.random.default_rng(1).normal(size=(5, 3))
    assert alignment(x, 3 * x) == pytest.approx(0.0, abs=1e-12)  # scale-invariant: normalised first
    same = np.ones((4, 3))
    assert uniformity(same) == pytest.approx(0.0, abs=1e-12)  # all collapsed: log(exp(0))
    with pytest.raises(ValueError, match="at least 2"):
        uniformity(x[:1])
    with pytest.raises(ValueError, match="same non-empty shape"):
        alignment(x, x[:3])


def test_evaluator_on_stsb(tmp_path: Path) -> None:
    folder = tmp_path / "en" / "STS" / "STSBenchmark" / "stsbenchmark"
    folder.mkdir(parents=True)
    rows = [("a", "b", 4.5), ("a", "c", 1.0), ("d", "e", 4.2), ("b", "f", 4.0), ("c", "f", 3.9)]
    folder.joinpath("sts-dev.csv").write_text("".join(f"g\tf\ty\t{i}\t{s}\t{p}\t{q}\n"
                                                      for i, (p, q, s) in enumerate(rows)))
    rng = np.random.default_rng(2)
    table = {s: rng.normal(size=4) for s in "abcdef"}
    calls: list[list[str]] = []

    def encode(sentences: list[str]) -> np.ndarray:
        calls.append(list(sentences))
        return np.stack([table[s] for s in sentences])

    out = AlignUniformEvaluator(tmp_path)(encode)
    assert len(calls) == 1 and sorted(calls[0]) == list("abcdef")
    pos = [("a", "b"), ("d", "e")]  # gold > 4.0 (SimCSE): the pair scored exactly 4.0 is not a positive
    expected_align = _naive_align(np.stack([table[p] for p, _ in pos]), np.stack([table[q] for _, q in pos]), 2)
    assert out["align"] == pytest.approx(expected_align)
    assert out["uniform"] == pytest.approx(_naive_uniform(np.stack(list(table.values())), 2))
    from sentemb.evaluation.dev_sets import STSBDevScorer

    assert STSBDevScorer(tmp_path)(encode)["align"] == pytest.approx(expected_align)  # the dev callback's too
    with pytest.raises(ValueError, match="no STS-B dev pair has gold > 4.5"):
        AlignUniformEvaluator(tmp_path, positive_threshold=4.5)
