"""Token sequences -> model inputs, two ways.

Packing (RoBERTa's FULL-SENTENCES, Liu et al. 2019; Hugging Face run_mlm's `group_texts`): every sentence
(tokens without special tokens) is followed by the separator, the sentences are concatenated into one
stream, and the stream is cut into blocks of `block_length - 1` tokens, each led by the classifier token.
No padding is computed except in the last block, so more real tokens go through each step; a sentence may
run across two blocks, and attention spans the sentences of a block.

Dynamic padding: one sentence a row, `[CLS] tokens [SEP]` truncated to `max_length`, each batch padded to
its longest row only.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import torch
from torch import Tensor

from sentemb.errors import SettingError


def pack_blocks(sequences: Sequence[Sequence[int]], block_length: int, cls_id: int, sep_id: int,
                pad_id: int) -> tuple[Tensor, Tensor]:
    """Concatenate `s + [sep]` for every sequence and cut into blocks `[cls] + (block_length - 1) tokens`.

    Returns (blocks (B, block_length) long, lengths (B,) long): the last block is padded with `pad_id` when
    the stream does not fill it (its length says how much is real). Empty sequences are skipped.
    """
    if block_length < 2:
        raise SettingError(f"batching.max_length must be >= 2 for packing (a [CLS] and a token), got {block_length}")
    parts = [np.append(np.asarray(s, dtype=np.int64), sep_id) for s in sequences if len(s)]
    if not parts:
        raise ValueError("pack_blocks: no non-empty token sequence to pack")
    stream = np.concatenate(parts)
    width = block_length - 1
    n_blocks = -(-len(stream) // width)
    body = np.full(n_blocks * width, pad_id, dtype=np.int64)
    body[: len(stream)] = stream
    blocks = np.concatenate([np.full((n_blocks, 1), cls_id, dtype=np.int64), body.reshape(n_blocks, width)], 1)
    lengths = np.full(n_blocks, block_length, dtype=np.int64)
    lengths[-1] = 1 + len(stream) - (n_blocks - 1) * width
    return torch.from_numpy(blocks), torch.from_numpy(lengths)


def sentence_rows(sequences: Sequence[Sequence[int]], max_length: int, cls_id: int, sep_id: int) -> list[Tensor]:
    """`[cls] + s[: max_length - 2] + [sep]` for every non-empty sequence (1-D long tensors)."""
    if max_length < 3:
        raise SettingError(f"batching.max_length must be >= 3 without packing, got {max_length}")
    return [torch.as_tensor([cls_id, *list(s)[: max_length - 2], sep_id], dtype=torch.long)
            for s in sequences if len(s)]


def pad_rows(rows: Sequence[Tensor], pad_id: int) -> dict[str, Tensor]:
    """Rows of different lengths -> {"input_ids": (B, Lmax), "attention_mask": (B, Lmax)} (dynamic padding)."""
    longest = max(len(r) for r in rows)
    ids = torch.full((len(rows), longest), pad_id, dtype=torch.long)
    mask = torch.zeros((len(rows), longest), dtype=torch.long)
    for i, row in enumerate(rows):
        ids[i, : len(row)] = row
        mask[i, : len(row)] = 1
    return {"input_ids": ids, "attention_mask": mask}


def block_batch(items: Sequence[tuple[Tensor, Tensor]]) -> dict[str, Tensor]:
    """(block (L,), length ()) items -> {"input_ids": (B, L), "attention_mask": (B, L)}."""
    ids = torch.stack([b for b, _ in items])
    lengths = torch.stack([n for _, n in items])
    mask = (torch.arange(ids.shape[1]).unsqueeze(0) < lengths.unsqueeze(1)).long()
    return {"input_ids": ids, "attention_mask": mask}
