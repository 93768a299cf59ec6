"""Packing concatenates the sentences exactly into full blocks; dynamic padding pads to the batch's longest."""

from __future__ import annotations

import random

import pytest
import torch
from pretrain_helpers import tiny_wordpiece

from sentemb.pretraining.data import MLMDataModule
from sentemb.pretraining.packing import pack_blocks, pad_rows, sentence_rows

CLS, SEP, PAD = 2, 3, 0


def random_sequences(n=200, seed=0):
    rng = random.Random(seed)
    return [[rng.randrange(5, 500) for _ in range(rng.randrange(0, 40))] for _ in range(n)]


@pytest.mark.parametrize("block", [2, 16, 128])
def test_blocks_concatenate_the_sentences_exactly(block):
    seqs = random_sequences()
    blocks, lengths = pack_blocks(seqs, block, CLS, SEP, PAD)
    assert blocks.shape[1] == block and (blocks[:, 0] == CLS).all()
    assert (lengths[:-1] == block).all() and 1 < lengths[-1] <= block
    stream = [t for b, n in zip(blocks.tolist(), lengths.tolist()) for t in b[1:n]]
    assert stream == [t for s in seqs if s for t in [*s, SEP]]
    assert (blocks[-1, lengths[-1]:] == PAD).all()


def test_sentence_rows_and_dynamic_padding():
    rows = sentence_rows([[7] * 3, [], [8] * 20], max_length=8, cls_id=CLS, sep_id=SEP)
    assert [r.tolist() for r in rows] == [[CLS, 7, 7, 7, SEP], [CLS, *[8] * 6, SEP]]
    batch = pad_rows(rows, PAD)
    assert batch["input_ids"].shape == (2, 8)
    assert batch["attention_mask"].tolist() == [[1] * 5 + [0] * 3, [1] * 8]
    assert batch["input_ids"][0, 5:].tolist() == [PAD] * 3


@pytest.mark.parametrize("packing", [True, False])
def test_data_module_batches(packing):
    from conftest import SENTENCES

    tok = tiny_wordpiece()
    dm = MLMDataModule(SENTENCES * 4, SENTENCES[:3], tok, max_length=16, batch_size=4, eval_batch_size=8,
                       packing=packing)
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    ids, mask = batch["input_ids"], batch["attention_mask"]
    assert ids.shape[0] == 4 and ids.shape == mask.shape and (ids[:, 0] == tok.cls_token_id).all()
    if packing:
        assert ids.shape[1] == 16
        real = sum(len(tok(s, add_special_tokens=False)["input_ids"]) + 1 for s in SENTENCES * 4)
        assert dm.stats["train_tokens"] == real + dm.stats["train_rows"]  # + one [CLS] a block
    else:
        assert ids.shape[1] == int(mask.sum(1).max())  # padded to the longest row of the batch
    assert torch.equal(ids[mask == 0], torch.full_like(ids[mask == 0], tok.pad_token_id))


def test_length_grouped_rows_pad_less_and_keep_every_row():
    from conftest import SENTENCES

    tok = tiny_wordpiece()
    lines = [" ".join(SENTENCES[: 1 + i % len(SENTENCES)]) for i in range(96)]  # lengths vary a lot
    padded = {}
    for group in (0, 4):
        dm = MLMDataModule(lines, lines[:2], tok, max_length=64, batch_size=8, packing=False, group_by_length=group)
        dm.setup("fit")
        batches = list(dm.train_dataloader())
        rows = sorted(tuple(r[m.bool()].tolist()) for b in batches for r, m in zip(b["input_ids"], b["attention_mask"]))
        assert rows == sorted(tuple(r.tolist()) for r in dm.train_set.rows)  # each row once per epoch
        padded[group] = sum(b["attention_mask"].numel() for b in batches)
    assert padded[4] < padded[0]


def test_length_grouping_needs_unpacked_rows():
    with pytest.raises(ValueError, match="group_by_length"):
        MLMDataModule(["a b"], ["a"], tiny_wordpiece(), packing=True, group_by_length=2)
