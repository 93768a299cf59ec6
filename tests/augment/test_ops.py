"""Each augmentation on fixed seeds: lengths, kept tokens, the papers' ratios; deterministic per seed."""

from __future__ import annotations

import random
from collections import Counter

import pytest
from transformers import AutoTokenizer

from sentemb.augment.builder import AugmentedPairBuilder
from sentemb.augment.ops import Crop, DeleteOneWord, Repetition, Shuffle, WordDeletion
from sentemb.augment.words import WordSplitter
from sentemb.paths import minilm_path

SENTENCE = "The unbelievably quick brown foxes jumped over the extraordinarily lazy dogs near the riverbank."


@pytest.fixture(scope="module")
def tok():
    return AutoTokenizer.from_pretrained(minilm_path())


@pytest.fixture(scope="module")
def splitter(tok):
    return WordSplitter(tok)


@pytest.fixture(scope="module")
def content(tok, splitter):
    return splitter.split(tok(SENTENCE)["input_ids"]).content


def words_of(splitter, ids):
    return [tuple(w) for w in splitter.words(ids)]


def test_words_group_wordpieces_and_round_trip(tok, splitter, content):
    words = splitter.words(content)
    assert [t for w in words for t in w] == content
    texts = [splitter.text(w) for w in words]
    assert texts[:3] == ["the", "unbelievably", "quick"] and texts[-1] == "."
    assert any(len(w) > 1 for w in words)  # multi-piece words stay together
    assert splitter.split(tok(SENTENCE)["input_ids"]).prefix == [tok.cls_token_id]


def test_crop_keeps_a_contiguous_90_percent(content, splitter):
    n, crop = len(content), Crop(0.1)
    for seed in range(20):
        out = crop(content, splitter, random.Random(seed))
        assert len(out) == int(0.9 * n + 0.5)
        start = next(i for i in range(n) if content[i:i + len(out)] == out)  # a contiguous span
        assert 0 <= start <= n - len(out)
    assert Crop(0.1)([7], splitter, random.Random(0)) == [7]  # never empty


def test_word_deletion_rate_and_kept_words_in_order(content, splitter):
    words = words_of(splitter, content)
    deleted = total = 0
    for seed in range(400):
        out = WordDeletion(0.1)(content, splitter, random.Random(seed))
        kept = words_of(splitter, out)
        it = iter(words)
        assert all(w in it for w in kept)  # a subsequence of the words: kept tokens unchanged, in order
        deleted, total = deleted + len(words) - len(kept), total + len(words)
    assert abs(deleted / total - 0.1) < 0.02  # the paper's 10%
    assert WordDeletion(0.99)(content, splitter, random.Random(0))  # at least one word stays


def test_delete_one_word_removes_exactly_one(content, splitter):
    words = words_of(splitter, content)
    for seed in range(10):
        out = words_of(splitter, DeleteOneWord()(content, splitter, random.Random(seed)))
        assert len(out) == len(words) - 1
        assert any(words[:i] + words[i + 1:] == out for i in range(len(words)))


def test_shuffle_is_a_permutation(content, splitter):
    out = Shuffle()(content, splitter, random.Random(3))
    assert Counter(out) == Counter(content) and out != content
    by_word = Shuffle("word")(content, splitter, random.Random(3))
    assert Counter(words_of(splitter, by_word)) == Counter(words_of(splitter, content))


def test_repetition_duplicates_up_to_32_percent_in_place(content, splitter):
    words = words_of(splitter, content)
    n, rep = len(words), Repetition(0.32)
    assert rep.max_duplicates(n) == max(2, int(0.32 * n))
    counts = Counter()
    for seed in range(300):
        out = words_of(splitter, rep(content, splitter, random.Random(seed)))
        dup = len(out) - n
        counts[dup] += 1
        j = 0  # walking the output: each original word, optionally followed by its copy
        for k, w in enumerate(words):
            assert out[j] == w
            j += 1
            if j < len(out) and out[j] == w and (k + 1 == n or words[k + 1] != w):
                j += 1
        assert j == len(out)
    assert set(counts) == set(range(rep.max_duplicates(n) + 1))  # dup_len uniform on 0..max
    assert min(counts.values()) > 300 / (rep.max_duplicates(n) + 1) * 0.6
    tokens = Repetition(0.32, unit="token")(content, splitter, random.Random(1))
    assert len(tokens) - len(content) <= max(2, int(0.32 * len(content)))


def test_builder_is_deterministic_per_seed_epoch_and_index(tok):
    rows = [{"input_ids": tok(s)["input_ids"], "index": i} for i, s in enumerate([SENTENCE, "A man plays."])]
    make = lambda seed: AugmentedPairBuilder(tok, WordDeletion(0.3), seed=seed)  # noqa: E731
    a, b = make(1)(rows), make(1)(rows)
    assert a.input_ids.tolist() == b.input_ids.tolist()
    assert a.input_ids[:, 0].tolist() == [r + [0] * (a.input_ids.shape[-1] - len(r))
                                          for r in (x["input_ids"] for x in rows)]  # view 0 unaugmented
    alone = make(1)([rows[1]])  # same row, other batch: same augmentation
    assert alone.input_ids[0, 1][alone.attention_mask[0, 1].bool()].tolist() == \
        a.input_ids[1, 1][a.attention_mask[1, 1].bool()].tolist()
    seeds = {tuple(make(s)(rows).input_ids[0, 1].tolist()) for s in range(8)}
    assert len(seeds) > 1
    builder = make(1)
    builder.bind_sampler(type("S", (), {"epoch": 3})())
    epochs = {tuple(make(1).augment_ids(rows[0]["input_ids"], e, 0, 1)) for e in range(8)}
    assert len(epochs) > 1 and builder.current_epoch() == 3
    both = AugmentedPairBuilder(tok, WordDeletion(0.3), views="both", seed=1)(rows)
    assert both.input_ids[0, 0].tolist() != both.input_ids[0, 1].tolist()


def test_dropout_option_is_the_plain_dropout_batch(tok):
    from sentemb.data.batches import DropoutPairBuilder

    rows = [{"input_ids": tok(s)["input_ids"], "index": i} for i, s in enumerate([SENTENCE, "A man plays."])]
    a, b = AugmentedPairBuilder(tok, None)(rows), DropoutPairBuilder(tok)(rows)
    assert a.input_ids.tolist() == b.input_ids.tolist() and a.attention_mask.tolist() == b.attention_mask.tolist()


def test_special_tokens_kept_and_length_capped(tok):
    ids = tok(SENTENCE)["input_ids"]
    out = AugmentedPairBuilder(tok, Repetition(1.0, "token"), seed=0, max_length=12).augment_ids(ids, 0, 0, 1)
    assert out[0] == tok.cls_token_id and out[-1] == tok.sep_token_id and len(out) <= 12


def test_settings_are_validated(tok):
    with pytest.raises(ValueError, match="augment.op.ratio"):
        Crop(1.0)
    with pytest.raises(ValueError, match="augment.op.unit"):
        Repetition(unit="char")
    with pytest.raises(ValueError, match="augment.views"):
        AugmentedPairBuilder(tok, Crop(), views="first")
