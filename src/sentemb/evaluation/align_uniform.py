"""Alignment and uniformity (Wang & Isola, ICML 2020), as reported in the SimCSE paper (Gao et al. 2021, sec. 5).

    align   = E_{(x, x+) ~ p_pos} ||f(x) - f(x+)||^alpha                       (lower is better)
    uniform = log E_{x, y ~ p_data, i.i.d.} exp(-t ||f(x) - f(y)||^2)          (lower is better)

with f the L2-normalised embedding. SimCSE takes p_pos = STS-B pairs with gold score higher than 4 (Gao et al.
2021, sec. 5; a pair scored exactly 4 is not a positive) and p_data = all STS-B sentences; uniformity averages
over all distinct pairs i < j (`torch.pdist`, as in Wang & Isola's code). `stsb: zh` takes the Chinese STS-B
(<data>/zh/STS-B, integer scores 0-5, split `valid`) instead, with the same rule.
Both functions accept numpy arrays or torch tensors of shape (N, D) and compute in float64.
"""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F

from sentemb.bases import EvaluatorBase
from sentemb.data.sts_readers import SentencePairs, read_stsb
from sentemb.data.zh_readers import read_zh_pairs, zh_task_path
from sentemb.errors import SettingError
from sentemb.evaluation.sts import Encode, encode_unique

__all__ = ["STSB_SPLITS", "AlignUniformEvaluator", "alignment", "uniformity"]

STSB_SPLITS = {"en": ("train", "dev", "test"), "zh": ("train", "valid", "test")}  # `stsb` -> its split names


def _normalised(x: np.ndarray | torch.Tensor, name: str) -> torch.Tensor:
    t = x.detach().to("cpu", torch.float64) if isinstance(x, torch.Tensor) else torch.as_tensor(
        np.asarray(x, dtype=np.float64))
    if t.ndim != 2:
        raise ValueError(f"{name} must be (N, D), got shape {tuple(t.shape)}")
    return F.normalize(t, p=2, dim=1)


def alignment(x: np.ndarray | torch.Tensor, y: np.ndarray | torch.Tensor, alpha: float = 2) -> float:
    """Mean of ||f(x_i) - f(y_i)||^alpha over positive pairs (x_i, y_i); x, y (N, D), f = L2 normalisation."""
    xn, yn = _normalised(x, "x"), _normalised(y, "y")
    if xn.shape != yn.shape or xn.shape[0] == 0:
        raise ValueError(f"alignment needs x and y of the same non-empty shape, got {tuple(xn.shape)} "
                         f"and {tuple(yn.shape)}")
    return float((xn - yn).norm(p=2, dim=1).pow(alpha).mean())


def uniformity(x: np.ndarray | torch.Tensor, t: float = 2) -> float:
    """log of the mean over i < j of exp(-t ||f(x_i) - f(x_j)||^2); x (N, D) with N >= 2.

    Computed as logsumexp - log(#pairs), which is the same value without underflow.
    """
    xn = _normalised(x, "x")
    if xn.shape[0] < 2:
        raise ValueError(f"uniformity needs at least 2 embeddings, got {xn.shape[0]}")
    sq = torch.pdist(xn, p=2).pow(2)
    return float(torch.logsumexp(-t * sq, dim=0) - math.log(sq.numel()))


class AlignUniformEvaluator(EvaluatorBase):
    """`evaluator(encode)` -> {"align": ..., "uniform": ...} on STS-B `split` (SimCSE: dev).

    `stsb`: "en" (<data>/en/STS/STSBenchmark, splits train/dev/test) or "zh" (the Chinese STS-B,
    <data>/zh/STS-B/STS-B.<split>.data, splits train/valid/test). Positives: pairs with gold > `positive_threshold`
    (SimCSE: 4.0 on the 0-5 scale); uniformity over every unique sentence of the split.
    `encode(sentences: list[str]) -> (N, D)` is called once on the unique sentences.
    """

    def __init__(self, data_dir: str | Path, split: str = "dev", positive_threshold: float = 4.0,
                 alpha: float = 2, t: float = 2, stsb: str = "en") -> None:
        self.data_dir, self.split, self.stsb = Path(data_dir), split, stsb
        self.positive_threshold, self.alpha, self.t = positive_threshold, alpha, t
        self.pairs = self._read()
        keep = self.pairs.scores > positive_threshold
        self.positives = [(a, b) for a, b, k in zip(self.pairs.sentences1, self.pairs.sentences2, keep) if k]
        if not self.positives:
            raise ValueError(f"no STS-B {split} pair has gold > {positive_threshold} (stsb={stsb})")
        self.sentences = list(dict.fromkeys((*self.pairs.sentences1, *self.pairs.sentences2)))

    def _read(self) -> SentencePairs:
        if self.stsb not in STSB_SPLITS:
            raise SettingError(f"align_uniform stsb={self.stsb!r}: expected 'en' (English STS-B) or 'zh' "
                               "(Chinese STS-B, <data>/zh/STS-B)")
        if self.split not in STSB_SPLITS[self.stsb]:
            raise SettingError(f"align_uniform split={self.split!r} with stsb={self.stsb}: expected one of "
                               f"{STSB_SPLITS[self.stsb]}")
        if self.stsb == "en":
            return read_stsb(self.data_dir / "en" / "STS" / "STSBenchmark", self.split)
        return read_zh_pairs(zh_task_path(self.data_dir, "STS-B", self.split), name=f"STS-B.{self.split}")

    def __call__(self, encode: Encode) -> dict[str, float]:
        emb = encode_unique(encode, self.sentences)
        row = {s: i for i, s in enumerate(self.sentences)}
        left = emb[[row[a] for a, _ in self.positives]]
        right = emb[[row[b] for _, b in self.positives]]
        return {"align": alignment(left, right, self.alpha), "uniform": uniformity(emb, self.t)}
