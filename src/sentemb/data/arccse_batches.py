"""ArcCSE batches (Zhang et al., ACL 2022): dropout pairs plus masked-span triplets of every sentence.

`Batch.input_ids` / `attention_mask` (B, 2, L): (s, s), two dropout views for the pairwise ArcCon term,
exactly as `DropoutPairBuilder` builds them.
`Batch.extra["triplet_input_ids"]` / `["triplet_attention_mask"]` (B, 3, L): (s, s', s''), s' with a short
span masked and s'' with a wider span containing it (see `sentemb.data.masked_span`), for the triple-wise
term. Masked tokens are replaced by the mask token and stay attended to (the mask is the same for all three).
"""

from __future__ import annotations

import torch
from torch.utils.data import get_worker_info

from sentemb.data.batches import Batch, DropoutPairBuilder, pad_sequences
from sentemb.data.masked_span import SpanMasker
from sentemb.errors import SettingError

TRIPLET_IDS = "triplet_input_ids"
TRIPLET_MASK = "triplet_attention_mask"


def resolve_mask_token_id(tokenizer, mask_token: str | None) -> int:
    """The id of `mask_token` (default: the tokenizer's own mask token), with an error naming the setting."""
    token = mask_token if mask_token is not None else tokenizer.mask_token
    if token is None:
        raise SettingError(f"the tokenizer {type(tokenizer).__name__} has no mask token: set "
                         "model.batch_builder.mask_token to a token of its vocabulary")
    token_id = tokenizer.convert_tokens_to_ids(token)
    if token_id is None or (token_id == tokenizer.unk_token_id and token != tokenizer.unk_token):
        raise SettingError(f"model.batch_builder.mask_token={token!r} is not in the tokenizer's vocabulary")
    return int(token_id)


class ArcCSEBatchBuilder:
    """Collate rows {"input_ids": list[int], "index": int} into an ArcCSE `Batch`.

    Args:
        tokenizer: the backbone's tokenizer (pad, special and mask tokens).
        inner_ratio, outer_ratio: shares of the tokens masked in s' and s'' (ArcCSE: 0.2, 0.4).
        mask_token: the token written over masked spans; None = the tokenizer's mask token ([MASK], <mask>).
        seed: seeds the span positions; each DataLoader worker w uses seed + 1 + w.
    """

    num_views = 2

    def __init__(self, tokenizer, inner_ratio: float = 0.2, outer_ratio: float = 0.4,
                 mask_token: str | None = None, seed: int = 42):
        self.pairs = DropoutPairBuilder(tokenizer)
        self.pad_token_id = tokenizer.pad_token_id
        special = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
        self.masker = SpanMasker(resolve_mask_token_id(tokenizer, mask_token), special | {self.pad_token_id},
                                 inner_ratio, outer_ratio, seed)
        self.seed = int(seed)
        self._worker_seeded: int | None = None

    def _seed_worker(self) -> None:
        info = get_worker_info()
        if info is not None and self._worker_seeded != info.id:
            self.masker.reseed(self.seed + 1 + info.id)
            self._worker_seeded = info.id

    def __call__(self, rows: list[dict]) -> Batch:
        self._seed_worker()
        batch = self.pairs(rows)
        sequences: list[list[int]] = []
        for row in rows:
            ids = list(row["input_ids"])
            masked = self.masker(ids)
            sequences.extend([ids, masked.inner, masked.outer])
        ids, mask = pad_sequences(sequences, self.pad_token_id)
        b = len(rows)
        batch.extra = {TRIPLET_IDS: ids.view(b, 3, -1), TRIPLET_MASK: mask.view(b, 3, -1)}
        return batch

    @staticmethod
    def triplet_block(batch: Batch) -> tuple[torch.Tensor, torch.Tensor]:
        """(ids (B, 3, L), mask (B, 3, L)) of an ArcCSE batch, with an error for batches of other builders."""
        if not batch.extra or TRIPLET_IDS not in batch.extra:
            raise SettingError("the triplet objective needs masked-span triplets in the batch: use "
                             "model.batch_builder._target_=sentemb.data.arccse_batches.ArcCSEBatchBuilder "
                             "(model=arccse does)")
        return batch.extra[TRIPLET_IDS], batch.extra[TRIPLET_MASK]
