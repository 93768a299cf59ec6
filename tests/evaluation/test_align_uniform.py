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


def test_chinese_stsb_dev_from_the_eval_option(tmp_path: Path, shared_data_dir: Path) -> None:
    """eval=align_uniform_zh reads the real Chinese STS-B dev file: its 52 pairs scored 5 are the positives."""
    from hydra.utils import instantiate

    from conftest import compose_config

    cfg = compose_config(["eval=[sts_zh,align_uniform_zh]"], tmp_path)
    evaluator = instantiate(cfg.eval.align_uniform_zh)
    assert evaluator.stsb == "zh" and evaluator.split == "valid"
    assert len(evaluator.pairs) == 1458 and len(evaluator.positives) == 52  # 205 pairs scored exactly 4 are not
    assert len(evaluator.sentences) == 2798
    assert all(s == 5.0 for s in evaluator.pairs.scores[evaluator.pairs.scores > 4.0])
    assert any("\u4e00" <= ch <= "\u9fff" for ch in evaluator.positives[0][0])  # Chinese text
    rng = np.random.default_rng(3)
    table = {s: rng.normal(size=8) for s in evaluator.sentences}
    out = evaluator(lambda sentences: np.stack([table[s] for s in sentences]))
    left = np.stack([table[a] for a, _ in evaluator.positives])
    right = np.stack([table[b] for _, b in evaluator.positives])
    assert out["align"] == pytest.approx(alignment(left, right))
    assert out["uniform"] == pytest.approx(uniformity(np.stack(list(table.values()))))


def test_bad_stsb_or_split_is_refused_naming_the_setting(tmp_path: Path) -> None:
    from sentemb.errors import SettingError

    with pytest.raises(SettingError, match="stsb='fr'.*'en'.*'zh'"):
        AlignUniformEvaluator(tmp_path, stsb="fr")
    with pytest.raises(SettingError, match="split='dev' with stsb=zh.*'valid'"):
        AlignUniformEvaluator(tmp_path, stsb="zh", split="dev")
    with pytest.raises(SettingError, match="split='valid' with stsb=en.*'dev'"):
        AlignUniformEvaluator(tmp_path, split="valid")
