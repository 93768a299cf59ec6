"""The span masker and the ArcCSE batch builder on real tokenised sentences (MiniLM's tokenizer)."""

import pytest
import torch
from transformers import AutoTokenizer

from conftest import SENTENCES
from sentemb.data.batches import DropoutPairBuilder
from sentemb.data.masked_span import SpanMasker, span_lengths
from sentemb.methods.arccse import TRIPLET_IDS, TRIPLET_MASK, ArcCSEBatchBuilder
from sentemb.paths import minilm_path


@pytest.fixture(scope="module")
def tokenizer():
    return AutoTokenizer.from_pretrained(minilm_path())


@pytest.fixture
def rows(tokenizer):
    texts = [*SENTENCES, "Hi.", "Yes", "Go home now."]
    return [{"input_ids": tokenizer(t)["input_ids"], "index": i} for i, t in enumerate(texts)]


@pytest.mark.parametrize("n", range(0, 40))
def test_span_lengths_rules(n):
    k1, k2 = span_lengths(n, 0.2, 0.4)
    if n < 2:
        assert (k1, k2) == (0, 0)
    elif n == 2:
        assert (k1, k2) == (1, 1)
    else:
        assert 1 <= k1 < k2 <= n - 1
        if n >= 10:  # long enough that the ratios, not the clamps, decide
            assert k1 == int(0.2 * n + 0.5) and k2 == int(0.4 * n + 0.5)


def test_masker_on_a_batch(tokenizer, rows):
    assert len(tokenizer("Yes")["input_ids"]) == 3 and len(tokenizer("Hi.")["input_ids"]) == 4
    builder = ArcCSEBatchBuilder(tokenizer, seed=0)
    batch = builder(rows)
    ids, attn = batch.extra[TRIPLET_IDS], batch.extra[TRIPLET_MASK]
    b, length = len(rows), batch.input_ids.shape[-1]
    assert ids.shape == attn.shape == (b, 3, length)
    special = torch.tensor(sorted(set(tokenizer.all_special_ids)))
    mask_id = tokenizer.mask_token_id
    for i, row in enumerate(rows):
        s, s1, s2 = ids[i]
        n_real = len(row["input_ids"])
        assert s[:n_real].tolist() == row["input_ids"]
        # padding untouched, attention identical for the three views
        assert (ids[i, :, n_real:] == tokenizer.pad_token_id).all()
        assert (attn[i] == attn[i, 0]).all() and attn[i, 0].sum() == n_real
        # special tokens never masked
        is_special = torch.isin(s, special)
        assert (s1[is_special] == s[is_special]).all() and (s2[is_special] == s[is_special]).all()
        m1 = (s1 != s).nonzero().flatten().tolist()
        m2 = (s2 != s).nonzero().flatten().tolist()
        n = n_real - 2  # [CLS] ... [SEP]
        k1, k2 = span_lengths(n, 0.2, 0.4)
        if n < 2:  # "Yes": masking its one word would mask all of it, so it stays whole
            assert m1 == m2 == []
            continue
        assert (s1[m1] == mask_id).all() and (s2[m2] == mask_id).all()
        assert len(m1) == k1 and len(m2) == k2
        # contiguous spans, s' nested in s'', at least one masked, never all
        assert m1 == list(range(m1[0], m1[0] + k1)) and m2 == list(range(m2[0], m2[0] + k2))
        assert set(m1) <= set(m2)
        assert 1 <= len(m1) and len(m2) < n


def test_views_are_dropout_pairs_as_before(tokenizer, rows):
    batch = ArcCSEBatchBuilder(tokenizer)(rows)
    plain = DropoutPairBuilder(tokenizer)(rows)
    assert torch.equal(batch.input_ids, plain.input_ids) and torch.equal(batch.attention_mask, plain.attention_mask)
    assert torch.equal(batch.index, plain.index) and plain.extra is None
    assert torch.equal(batch.extra[TRIPLET_IDS][:, 0], plain.input_ids[:, 0])


def test_seeded_and_varied(tokenizer, rows):
    first = ArcCSEBatchBuilder(tokenizer, seed=3)(rows).extra[TRIPLET_IDS]
    again = ArcCSEBatchBuilder(tokenizer, seed=3)(rows).extra[TRIPLET_IDS]
    other = ArcCSEBatchBuilder(tokenizer, seed=4)(rows).extra[TRIPLET_IDS]
    assert torch.equal(first, again) and not torch.equal(first, other)


def test_single_token_sentence_is_left_whole():
    masker = SpanMasker(mask_token_id=103, special_ids={101, 102, 0})
    out = masker([101, 2000, 102])
    assert out.inner == out.outer == [101, 2000, 102] and masker.unmaskable == 1
    two = masker([101, 2000, 2001, 102, 0, 0])
    assert two.inner_positions == two.outer_positions and len(two.inner_positions) == 1


def test_special_token_inside_a_sentence_is_skipped():
    masker = SpanMasker(mask_token_id=9, special_ids={1, 2}, inner_ratio=0.5, outer_ratio=0.9, seed=0)
    for _ in range(20):
        out = masker([1, 5, 6, 2, 7, 8, 2])
        assert out.outer[0] == 1 and out.outer[3] == 2 and out.outer[6] == 2


def test_ratios_and_mask_token_are_settings(tokenizer, rows):
    batch = ArcCSEBatchBuilder(tokenizer, inner_ratio=0.1, outer_ratio=0.5, mask_token="[UNK]")(rows)
    s, s1, s2 = batch.extra[TRIPLET_IDS][4]  # "A child is riding a bicycle down the street." -> 10 tokens
    assert (s1 != s).sum() == 1 and (s2 != s).sum() == 5
    assert set(s2[s2 != s].tolist()) == {tokenizer.unk_token_id}


@pytest.mark.parametrize("kwargs,match", [
    ({"inner_ratio": 0.0}, "inner_ratio"),
    ({"inner_ratio": 0.5, "outer_ratio": 0.3}, "outer_ratio"),
    ({"outer_ratio": 1.0}, "outer_ratio"),
    ({"mask_token": "notatoken"}, "mask_token='notatoken'"),
])
def test_bad_settings_name_the_setting(tokenizer, kwargs, match):
    with pytest.raises(ValueError, match=match):
        ArcCSEBatchBuilder(tokenizer, **kwargs)


def test_lightning_moves_the_triplet_block_with_the_batch(tokenizer, rows):
    from lightning.fabric.utilities.apply_func import move_data_to_device

    batch = ArcCSEBatchBuilder(tokenizer)(rows)
    moved = move_data_to_device(batch, torch.device("meta"))
    assert moved.input_ids.is_meta and moved.extra[TRIPLET_IDS].is_meta and moved.extra[TRIPLET_MASK].is_meta
