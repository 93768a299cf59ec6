"""BERT masking: 15% of maskable tokens, 80/10/10, never special tokens or padding; whole-word masking."""

from __future__ import annotations

import pytest
import torch
from pretrain_helpers import tiny_wordpiece

from sentemb.pretraining.masking import Masker, word_start_table

V = 1000
SPECIAL = [0, 1, 2, 3, 4]  # PAD, UNK, CLS, SEP, MASK
PAD, CLS, SEP, MASK = 0, 2, 3, 4


def random_batch(n=512, length=128, seed=0):
    """Rows `[CLS] tokens ... [SEP] tokens [SEP] [PAD]...` of random lengths."""
    g = torch.Generator().manual_seed(seed)
    ids = torch.randint(5, V, (n, length), generator=g)
    lengths = torch.randint(8, length + 1, (n,), generator=g)
    mask = (torch.arange(length)[None] < lengths[:, None]).long()
    ids[:, 0] = CLS
    ids[torch.arange(n), lengths - 1] = SEP
    mid = torch.randint(2, 7, (n,), generator=g)
    ids[torch.arange(n), mid] = SEP
    ids[mask == 0] = PAD
    return ids, mask


def test_rates_follow_80_10_10_and_specials_and_padding_are_never_masked():
    ids, mask = random_batch()
    vocab = {f"w{i}": i for i in range(V)}
    masker = Masker(SPECIAL, vocab, V, MASK, mask_prob=0.15)
    masked, labels = masker(ids, mask, generator=torch.Generator().manual_seed(1))
    special = torch.isin(ids, torch.tensor(SPECIAL)) | (mask == 0)
    chosen = labels != -100
    assert not chosen[special].any() and torch.equal(masked[special], ids[special])
    assert torch.equal(labels[chosen], ids[chosen])
    maskable = ~special
    assert abs(chosen.sum().item() / maskable.sum().item() - 0.15) < 0.01  # ~45k maskable tokens
    n = chosen.sum().item()
    to_mask = (masked == MASK) & chosen
    kept = (masked == ids) & chosen
    to_random = chosen & ~to_mask & ~kept
    assert abs(to_mask.sum().item() / n - 0.8) < 0.02
    assert abs(to_random.sum().item() / n - 0.1) < 0.015
    assert abs(kept.sum().item() / n - 0.1) < 0.015
    assert not torch.isin(masked[to_random], torch.tensor(SPECIAL)).any()  # random tokens are ordinary ones
    assert torch.equal(masked[~chosen], ids[~chosen])


def test_same_generator_seed_gives_the_same_masks():
    ids, mask = random_batch(n=16)
    masker = Masker(SPECIAL, {f"w{i}": i for i in range(V)}, V, MASK)
    a = masker(ids, mask, generator=torch.Generator().manual_seed(7))
    b = masker(ids, mask, generator=torch.Generator().manual_seed(7))
    assert torch.equal(a[0], b[0]) and torch.equal(a[1], b[1])


def wordpiece_vocab():
    """ids 5..504 start words, 505..999 are '##' continuations."""
    vocab = {t: i for i, t in enumerate(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"])}
    vocab.update({f"w{i}": i for i in range(5, 505)})
    vocab.update({f"##c{i}": i for i in range(505, V)})
    return vocab


def test_whole_word_masking_masks_whole_words_at_the_word_rate():
    g = torch.Generator().manual_seed(3)
    rows, words = [], []
    for _ in range(400):  # [CLS] word word ... [SEP], each word a start + 0..3 continuations
        row, spans = [CLS], []
        while len(row) < 64:
            n_cont = int(torch.randint(0, 4, (1,), generator=g))
            start = len(row)
            row += [int(torch.randint(5, 505, (1,), generator=g))]
            row += [int(x) for x in torch.randint(505, V, (n_cont,), generator=g)]
            spans.append((start, len(row)))
        rows.append(row[:63] + [SEP])
        words.append([(a, min(b, 63)) for a, b in spans if a < 63])
    ids = torch.tensor(rows)
    masker = Masker(SPECIAL, wordpiece_vocab(), V, MASK, mask_prob=0.15, whole_word=True)
    _, labels = masker(ids, torch.ones_like(ids), generator=torch.Generator().manual_seed(4))
    chosen = labels != -100
    n_words = n_chosen_words = 0
    for r, spans in enumerate(words):
        for a, b in spans:
            span = chosen[r, a:b]
            assert span.all() or not span.any(), f"row {r} word {a}:{b} partly masked: {span.tolist()}"
            n_words += 1
            n_chosen_words += int(span.all())
    assert abs(n_chosen_words / n_words - 0.15) < 0.02


def test_whole_word_masking_with_a_trained_tokenizer_follows_its_word_ids():
    tok = tiny_wordpiece()
    sentences = ["Unbelievably, the archaeologists excavated extraordinary artefacts yesterday."] * 64
    enc = tok(sentences, return_tensors="pt")
    masker = Masker.for_tokenizer(tok, len(tok), mask_prob=0.3, whole_word=True)
    _, labels = masker(enc["input_ids"], enc["attention_mask"], generator=torch.Generator().manual_seed(0))
    chosen = labels != -100
    word_ids = enc.word_ids(0)
    assert len(set(w for w in word_ids if w is not None)) < len([w for w in word_ids if w is not None])  # subwords
    for r in range(len(sentences)):
        for w in set(x for x in word_ids if x is not None):
            span = chosen[r, [i for i, x in enumerate(word_ids) if x == w]]
            assert span.all() or not span.any()


def test_settings_are_checked():
    vocab = {f"w{i}": i for i in range(V)}
    with pytest.raises(ValueError, match="mask_prob"):
        Masker(SPECIAL, vocab, V, MASK, mask_prob=0.0)
    with pytest.raises(ValueError, match="add up"):
        Masker(SPECIAL, vocab, V, MASK, mask_replace=0.9, random_replace=0.2)
    with pytest.raises(ValueError, match="whole_word"):
        word_start_table(vocab, V)
