"""Tests of the memoising encode: every unique sentence encoded once across all evaluators of an evaluation."""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from sentemb.bases import EvaluatorBase
from sentemb.evaluation.encode_cache import CachedEncode
from sentemb.evaluation.suite import run_evaluators


class RecordingEncoder:
    def __init__(self) -> None:
        self.calls: list[list[str]] = []

    def encode(self, sentences, batch_size=128, show_progress_bar=None):
        self.calls.append(list(sentences))
        return np.stack([np.random.default_rng(zlib.crc32(s.encode())).normal(size=4) for s in sentences])


class Evaluator(EvaluatorBase):
    def __init__(self, sentences: list[str], expose: bool = True) -> None:
        if expose:
            self.sentences = sentences
        self.wanted = sentences

    def __call__(self, encode) -> dict[str, float]:
        emb = encode(self.wanted + self.wanted[:1])  # duplicates in a call are fine
        assert emb.shape == (len(self.wanted) + 1, 4)
        return {"norm": float(np.linalg.norm(emb))}


def test_cache_returns_rows_in_order_and_encodes_new_sentences_only() -> None:
    encoder = RecordingEncoder()
    cache = CachedEncode(encoder, batch_size=2)
    first = cache(["a", "b", "a"])
    assert encoder.calls == [["a", "b"]]
    np.testing.assert_array_equal(first[0], first[2])
    second = cache(["c", "b"])
    assert encoder.calls[-1] == ["c"] and cache.encoded == 3 and len(cache) == 3
    np.testing.assert_allclose(second[1], first[1])
    assert cache([]).shape == (0, 4)


def test_run_evaluators_encodes_every_unique_sentence_once() -> None:
    encoder = RecordingEncoder()
    evaluators = {"x": Evaluator(["a", "b", "c"]), "y": Evaluator(["c", "d", "a"]),
                  "z": Evaluator(["e", "a"], expose=False)}
    dev = Evaluator(["f", "b"])
    cache = CachedEncode(encoder)
    results = run_evaluators(encoder, evaluators, cache=cache, prefetch=[dev])
    assert set(results) == {"x", "y", "z"}
    encoded = [s for call in encoder.calls for s in call]
    assert sorted(encoded) == ["a", "b", "c", "d", "e", "f"]  # once each
    assert encoder.calls[0] == ["a", "b", "c", "d", "f"]  # one prefetch call for all exposed sentences
    dev(cache)
    assert len(encoder.calls) == 2 and set(cache.timings) == {"encode", "x", "y", "z"}


def test_cache_rejects_a_bad_encoder() -> None:
    class Bad:
        def encode(self, sentences, **kwargs):
            return np.zeros((len(sentences) + 1, 2))

    with pytest.raises(ValueError, match="returned shape"):
        CachedEncode(Bad())(["a"])
