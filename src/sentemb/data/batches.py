"""Batches and the builders that collate them.

A `Batch` holds one tokenised block per view: input_ids and attention_mask of shape (B, V, L). The
encoder flattens it to (B*V, L), so every view of the batch goes through one forward pass.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import Tensor

from sentemb.bases import BatchBuilderBase


@dataclass
class Batch:
    """input_ids, attention_mask: (B, V, L) long; labels: (B,) long or None; index: (B,) dataset rows.

    extra: further tensor blocks a method's auxiliary objectives read, by name (e.g. ArcCSE's masked-span
    triplets "triplet_input_ids"/"triplet_attention_mask" of shape (B, 3, L)); not seen by the sampler.
    text_ids: (B, V) int64 or None: id of each view's normalised text (`sentemb.data.text_ids`), for samplers
        that flag duplicates of an anchor (sampler=false_negative).
    """

    input_ids: Tensor
    attention_mask: Tensor
    labels: Tensor | None = None
    index: Tensor | None = None
    extra: dict[str, Tensor] | None = None
    text_ids: Tensor | None = None

    @property
    def num_views(self) -> int:
        return self.input_ids.shape[1]

    def __len__(self) -> int:
        return self.input_ids.shape[0]


def pad_sequences(sequences: list[list[int]], pad_id: int) -> tuple[Tensor, Tensor]:
    """Right-pad token lists to the longest in the batch -> (ids (N, L), mask (N, L))."""
    length = max(len(s) for s in sequences)
    ids = torch.full((len(sequences), length), pad_id, dtype=torch.long)
    mask = torch.zeros((len(sequences), length), dtype=torch.long)
    for row, seq in enumerate(sequences):
        ids[row, : len(seq)] = torch.as_tensor(seq, dtype=torch.long)
        mask[row, : len(seq)] = 1
    return ids, mask


class DropoutPairBuilder(BatchBuilderBase):
    """Unsupervised SimCSE batches: each sentence twice (V=2); the views differ only by dropout noise."""

    num_views = 2

    def __init__(self, tokenizer):
        self.pad_token_id = tokenizer.pad_token_id

    def __call__(self, rows: list[dict]) -> Batch:
        ids, mask = pad_sequences([r["input_ids"] for r in rows], self.pad_token_id)
        b, length = ids.shape
        index = torch.as_tensor([r.get("index", -1) for r in rows], dtype=torch.long)
        text_ids = None
        if all("text_id" in r for r in rows):  # every view is the same text
            text_ids = torch.as_tensor([r["text_id"] for r in rows], dtype=torch.long)
            text_ids = text_ids.unsqueeze(1).expand(b, self.num_views)
        return Batch(
            input_ids=ids.unsqueeze(1).expand(b, self.num_views, length),
            attention_mask=mask.unsqueeze(1).expand(b, self.num_views, length),
            index=index,
            text_ids=text_ids,
        )
