"""sentemb.encoder.subbatch: the split minimises padded tokens (checked against brute force), every row is
encoded once, in a chunk as wide as its longest row, and the output comes back in the rows' order."""

from __future__ import annotations

import itertools
import random

import pytest
import torch

from sentemb.encoder.subbatch import (
    AUTO_MAX_CHUNKS,
    AUTO_MIN_TOKENS,
    ChunkRule,
    chunk_rule,
    embed_in_sub_batches,
    length_sorted_chunks,
    optimal_splits,
    row_extents,
)


def split_cost(widths, counts, starts, rule):
    bounds = [*starts, len(widths)]
    return sum(max(sum(counts[a:b]) * widths[a], rule.min_tokens) for a, b in zip(bounds, bounds[1:]))


def brute_force(widths, counts, rule):
    """(cost, starts) of the cheapest split, trying every set of cut points; fewest chunks among ties."""
    best = None
    for k in range(1, min(rule.max_chunks, len(widths)) + 1):
        for cuts in itertools.combinations(range(1, len(widths)), k - 1):
            starts = [0, *cuts]
            cost = split_cost(widths, counts, starts, rule)
            if best is None or cost < best[0]:
                best = (cost, starts)
    return best


def test_optimal_splits_match_brute_force():
    rng = random.Random(0)
    for _ in range(300):
        widths = sorted(rng.sample(range(1, 40), rng.randint(1, 7)), reverse=True)
        counts = [rng.randint(1, 5) for _ in widths]
        rule = ChunkRule(rng.randint(1, 5), rng.choice([0, 20, 100]))
        starts = optimal_splits(widths, counts, rule)
        cost, brute_starts = brute_force(widths, counts, rule)
        assert starts[0] == 0 and starts == sorted(set(starts))
        assert split_cost(widths, counts, starts, rule) == cost
        assert len(starts) == len(brute_starts)  # no extra chunk for an equal cost


def test_a_chunk_floor_keeps_small_batches_whole():
    widths, counts = [32, 20, 10], [1, 10, 10]  # 21 rows: 672 padded tokens in one chunk
    assert optimal_splits(widths, counts, ChunkRule(8, 0)) == [0, 1, 2]
    assert optimal_splits(widths, counts, ChunkRule(8, 512)) == [0]  # any split costs >= 1024


def test_auto_rule_depends_on_the_device():
    assert chunk_rule("auto", torch.device("cpu")) == ChunkRule(AUTO_MAX_CHUNKS, AUTO_MIN_TOKENS["cpu"])
    assert chunk_rule("auto", torch.device("cuda")) == ChunkRule(AUTO_MAX_CHUNKS, AUTO_MIN_TOKENS["accelerator"])
    assert chunk_rule(3, torch.device("cuda")) == ChunkRule(3, 0)
    assert chunk_rule(None, torch.device("cpu")).max_chunks == 1


def random_mask(lengths, width):
    return (torch.arange(width)[None, :] < torch.as_tensor(lengths)[:, None]).long()


def test_chunks_cover_every_row_once_sorted_and_trimmed():
    lengths = [5, 12, 3, 12, 7, 1, 9, 5, 2, 11]
    mask = random_mask(lengths, 16)  # padded beyond the longest row too
    chunks = length_sorted_chunks(mask, ChunkRule(3))
    assert len(chunks) == 3
    rows = torch.cat([r for r, _ in chunks])
    assert sorted(rows.tolist()) == list(range(len(lengths)))
    ordered = [lengths[r] for r in rows.tolist()]
    assert ordered == sorted(lengths, reverse=True)
    for r, width in chunks:
        assert width == max(lengths[i] for i in r.tolist())
    assert sum(len(r) * w for r, w in chunks) < len(lengths) * 12


def test_extents_follow_the_last_real_token_on_either_side():
    left_padded = torch.tensor([[0, 0, 1, 1], [0, 1, 1, 1], [0, 0, 0, 0]])
    assert row_extents(left_padded).tolist() == [4, 4, 0]
    assert row_extents(random_mask([2, 4, 1], 6)).tolist() == [2, 4, 1]


def test_embed_in_sub_batches_returns_rows_in_order():
    lengths = [4, 9, 2, 9, 6, 3]
    ids = torch.arange(6 * 10).view(6, 10)
    mask = random_mask(lengths, 10)
    seen = []

    def encode(chunk_ids, chunk_mask):  # a row's "embedding": its first id and its real-token count
        seen.append(chunk_ids.shape)
        return torch.stack([chunk_ids[:, 0], chunk_mask.sum(1)], dim=1).float()

    out = embed_in_sub_batches(encode, ids, mask, 3)
    assert len(seen) == 3 and all(shape[1] < 10 for shape in seen)
    assert out[:, 0].tolist() == ids[:, 0].float().tolist()
    assert out[:, 1].tolist() == [float(n) for n in lengths]
    seen.clear()
    embed_in_sub_batches(encode, ids, mask, None)
    assert seen == [torch.Size([6, 10])]  # off: one call on the batch as it is


@pytest.mark.parametrize("setting", ["auto", 4])
def test_sub_batched_encoder_equals_one_forward(setting, tiny_backbone_factory):
    from sentemb.encoder.sentence_encoder import SentenceEncoder

    encoder = SentenceEncoder(tiny_backbone_factory(), "mean").eval()
    torch.manual_seed(0)
    lengths = torch.randint(2, 40, (48,)).tolist()
    mask = random_mask(lengths, 40)
    ids = torch.randint(1000, 2000, (48, 40)) * mask
    with torch.no_grad():
        ref = encoder(ids, mask)
        got = embed_in_sub_batches(encoder, ids, mask, setting)
    torch.testing.assert_close(got, ref, atol=1e-5, rtol=1e-4)
