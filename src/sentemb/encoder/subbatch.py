"""Length-sorted sub-batches: encode the rows of one batch in chunks, each padded only to its own longest row.

A training batch of B examples x V views is padded to its longest sequence; on wiki sentences at max_len 32
about a third of its tokens are padding, and every padded token costs the same matrix products as a real one.
`embed_in_sub_batches` sorts the rows by length, splits them into contiguous chunks, trims each chunk's
padding columns, encodes the chunks one after the other and puts the embeddings back in the original row
order. Which sentences share a batch, the negatives and the loss do not change: padded keys are masked in
attention and padded positions are outside every pooling, so a row's embedding does not depend on how far it
is padded (equal to float rounding; with dropout on, the masks are other draws of the same distribution).

The split points minimise the padded tokens computed, sum over chunks of rows x width (exact dynamic
programme over the distinct lengths), for at most `max_chunks` chunks, where a chunk counts as at least
`min_tokens` tokens: below that the fixed cost of one more forward/backward pass (kernel launches, small
matrix products) outweighs the padding saved. `auto` (the default) uses at most 8 chunks with a floor of
256 tokens on a CPU, where FLOPs dominate, and 8192 on a GPU, where launches do: a batch of 64 x 2 x 32
tokens is then one chunk on a GPU (no change, no host synchronisation) and 4-8 chunks on a CPU.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch import Tensor

AUTO_MAX_CHUNKS = 8
AUTO_MIN_TOKENS = {"cpu": 256, "accelerator": 8192}  # a chunk's floor cost, in padded tokens


@dataclass(frozen=True)
class ChunkRule:
    """At most `max_chunks` chunks; a chunk costs max(rows x width, min_tokens) in the split's objective."""

    max_chunks: int
    min_tokens: int = 0


def check_sub_batches(value, setting: str = "model.sub_batches") -> int | str | None:
    """Validate the setting: null (off: one forward pass), 'auto', or an integer >= 1 (at most that many
    chunks; 1 = off)."""
    if value is None or value == "auto":
        return value
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise ValueError(f"{setting} must be null (off), 'auto' or an integer >= 1 (the most chunks), got {value!r}")
    return value


def chunk_rule(setting: int | str | None, device: torch.device) -> ChunkRule:
    """The rule a setting means on `device`: an integer k is at most k chunks with no floor."""
    if setting is None:
        return ChunkRule(1)
    if setting == "auto":
        return ChunkRule(AUTO_MAX_CHUNKS, AUTO_MIN_TOKENS["cpu" if device.type == "cpu" else "accelerator"])
    return ChunkRule(int(setting))


def row_extents(attention_mask: Tensor) -> Tensor:
    """(N, L) mask -> (N,) long: 1 + the column of each row's last real token (0 for an empty row); the
    columns a row needs, whichever side it is padded on."""
    columns = torch.arange(1, attention_mask.shape[1] + 1, device=attention_mask.device)
    return (columns * (attention_mask != 0)).amax(dim=1)


def optimal_splits(widths: list[int], counts: list[int], rule: ChunkRule) -> list[int]:
    """Distinct row widths in decreasing order and how many rows have each -> the group indices where chunks
    start (the first is 0). Minimises sum over chunks of max(rows x first width, rule.min_tokens) exactly
    (O(chunks x groups^2), vectorised); among equal costs, fewer chunks."""
    m = len(widths)
    cum = np.concatenate([[0], np.cumsum(counts)])
    i, j = np.arange(m)[:, None], np.arange(1, m + 1)[None, :]
    cost = np.maximum((cum[j] - cum[i]) * np.asarray(widths)[:, None], rule.min_tokens).astype(np.float64)
    cost[i >= j] = np.inf  # chunk i..j-1 needs i < j
    best = np.full(m + 1, np.inf)
    best[0] = 0.0
    starts, totals = [], []
    for _ in range(min(rule.max_chunks, m)):
        candidates = best[:m, None] + cost  # (start group i, end group j)
        starts.append(np.argmin(candidates, axis=0))
        best = np.concatenate([[np.inf], candidates[starts[-1], np.arange(m)]])
        totals.append(best[m])
    chunks = 1 + int(np.argmin(totals))  # the first minimum: fewest chunks among equal costs
    splits, end = [], m
    for c in range(chunks - 1, -1, -1):
        end = int(starts[c][end - 1])
        splits.append(end)
    return splits[::-1]


def length_sorted_chunks(attention_mask: Tensor, rule: ChunkRule) -> list[tuple[Tensor, int]]:
    """(N, L) mask -> [(row indices (n_c,), width)]: rows by decreasing extent, cut where `optimal_splits`
    says; every row once. A single chunk of all rows in order when the rule cannot split."""
    n, length = attention_mask.shape
    if rule.max_chunks <= 1 or n < 2 or n * length < 2 * rule.min_tokens:  # no split can cost less
        return [(torch.arange(n, device=attention_mask.device), length)]
    extents = row_extents(attention_mask)
    order = torch.argsort(extents, descending=True, stable=True)
    widths, counts = torch.unique_consecutive(extents[order], return_counts=True)
    widths, counts = widths.tolist(), counts.tolist()  # one host synchronisation
    splits = optimal_splits(widths, counts, rule) + [len(widths)]
    chunks, row = [], 0
    for i, j in zip(splits, splits[1:]):
        rows = sum(counts[i:j])
        chunks.append((order[row : row + rows], max(int(widths[i]), 1)))
        row += rows
    return chunks


def embed_in_sub_batches(encode: Callable[..., Tensor], input_ids: Tensor, attention_mask: Tensor,
                         setting: int | str | None, **columns: Tensor) -> Tensor:
    """encode((n, l) ids, (n, l) mask, **columns) -> (n, D), applied to length-sorted chunks of the (N, L)
    rows; returns (N, D) in the rows' order. `columns`: further (N, L) blocks cut like the ids (e.g.
    token_type_ids). `setting`: see `check_sub_batches`."""
    chunks = length_sorted_chunks(attention_mask, chunk_rule(setting, input_ids.device))
    if len(chunks) == 1:
        return encode(input_ids, attention_mask, **columns)
    outputs = [encode(input_ids[rows, :width], attention_mask[rows, :width],
                      **{k: v[rows, :width] for k, v in columns.items()}) for rows, width in chunks]
    order = torch.cat([rows for rows, _ in chunks])
    inverse = torch.empty_like(order)
    inverse[order] = torch.arange(len(order), device=order.device)
    return torch.cat(outputs)[inverse]
