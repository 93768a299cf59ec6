"""Nearest-centroid intent accuracy on hand-made embeddings."""

import numpy as np
import pytest

from sentemb.evaluation.nearest_centroid import NearestCentroidEvaluator, nearest_centroid_accuracy


def test_nearest_centroid_accuracy_by_hand():
    train = np.array([[1, 0], [0.9, 0.1], [0, 1], [0.1, 0.9]])
    test = np.array([[1, 0.2], [0.2, 1], [0.8, 0.7], [-1, 0]])
    # the third test point is nearer "a" (centroid (0.95, 0.05)) by cosine; the last one is unseen label "c"
    acc = nearest_centroid_accuracy(train, ["a", "a", "b", "b"], test, ["a", "b", "b", "c"])
    assert acc == pytest.approx(50.0)
    assert nearest_centroid_accuracy(train * 7, ["a", "a", "b", "b"], test[:2], ["a", "b"]) == 100.0


def test_evaluator_on_snips_with_a_bag_of_words_encoder(shared_data_dir):
    ev = NearestCentroidEvaluator(shared_data_dir, ["snips"], max_train_per_label=50)
    vocab = {}

    def encode(sentences):
        out = np.zeros((len(sentences), 4096))
        for i, s in enumerate(sentences):
            for w in s.lower().split():
                out[i, vocab.setdefault(w, len(vocab)) % 4096] += 1
        return out

    scores = ev(encode)
    assert 40 < scores["snips"] < 100 and scores["avg"] == scores["snips"]  # well above chance (14.3)
    with pytest.raises(ValueError, match="unknown intent tasks"):
        NearestCentroidEvaluator(shared_data_dir, ["nope"])


def test_max_train_per_label_subsamples_each_label(shared_data_dir):
    ev = NearestCentroidEvaluator(shared_data_dir, ["snips"], max_train_per_label=5, seed=1)
    train, test = ev.data["snips"]
    from collections import Counter

    assert set(Counter(train.labels).values()) == {5} and len(test.texts) == 700
    again = NearestCentroidEvaluator(shared_data_dir, ["snips"], max_train_per_label=5, seed=1)
    assert again.data["snips"][0].texts == train.texts
