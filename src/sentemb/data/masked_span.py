"""Nested masked spans for ArcCSE's triple-wise objective (Zhang et al., ACL 2022, section 3.3).

For a sentence s (a list of token ids with its special tokens), s' replaces one contiguous span of
about `inner_ratio` of its maskable tokens with the mask token, and s'' a wider span of about
`outer_ratio` that contains the span of s'. Masking more of a sentence removes information, so s entails
s' and s' entails s'': the partial order the triplet term teaches.

Rules, for n maskable tokens (every token except the special ones: [CLS], [SEP], padding, ...):
  * inner length k1 = round(inner_ratio * n), outer length k2 = round(outer_ratio * n), then clamped so
    that 1 <= k1 < k2 <= n - 1 when n >= 3 (at least one token masked, the wider span strictly wider,
    never every token masked); n = 2 gives k1 = k2 = 1; a sentence with n < 2 is left as it is (masking
    its only token would mask all of it) and is counted in `SpanMasker.unmaskable`.
  * the outer span starts uniformly at random among the positions where it fits; the inner span starts
    uniformly at random inside it.
  * maskable tokens are normally contiguous (between [CLS] and [SEP]); spans are taken over the
    maskable positions in order, so a special token inside a sentence is skipped, never masked.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch

from sentemb.errors import SettingError


def _round_half_up(x: float) -> int:
    return int(x + 0.5)


def span_lengths(n: int, inner_ratio: float, outer_ratio: float) -> tuple[int, int]:
    """(k1, k2) for n maskable tokens under the rules of this module; (0, 0) when n < 2."""
    if n < 2:
        return 0, 0
    if n == 2:
        return 1, 1
    k1 = min(max(_round_half_up(inner_ratio * n), 1), n - 2)
    k2 = min(max(_round_half_up(outer_ratio * n), k1 + 1), n - 1)
    return k1, k2


@dataclass
class MaskedPair:
    """s' and s'' of one sentence, with the masked positions (indices into the token list)."""

    inner: list[int]
    outer: list[int]
    inner_positions: list[int]
    outer_positions: list[int]


class SpanMasker:
    """Masks nested contiguous spans of token id lists.

    Args:
        mask_token_id: the id written over masked tokens.
        special_ids: ids never masked (special tokens and padding).
        inner_ratio: share of the maskable tokens masked in s' (ArcCSE: 0.2), in (0, 1).
        outer_ratio: share masked in s'' (ArcCSE: 0.4), in [inner_ratio, 1).
        seed: seeds the torch.Generator that places the spans.
    """

    def __init__(self, mask_token_id: int, special_ids: set[int] | list[int], inner_ratio: float = 0.2,
                 outer_ratio: float = 0.4, seed: int = 0):
        if not 0.0 < inner_ratio < 1.0:
            raise SettingError(f"model.batch_builder.inner_ratio must be in (0, 1), got {inner_ratio}")
        if not inner_ratio <= outer_ratio < 1.0:
            raise SettingError(f"model.batch_builder.outer_ratio must be in [inner_ratio={inner_ratio}, 1), "
                             f"got {outer_ratio}")
        self.mask_token_id = int(mask_token_id)
        self.special_ids = frozenset(int(i) for i in special_ids)
        self.inner_ratio = float(inner_ratio)
        self.outer_ratio = float(outer_ratio)
        self.seed = int(seed)
        self.generator = torch.Generator().manual_seed(self.seed)
        self.unmaskable = 0

    def reseed(self, seed: int) -> None:
        self.generator.manual_seed(int(seed))

    def _randint(self, high_inclusive: int) -> int:
        return int(torch.randint(0, high_inclusive + 1, (1,), generator=self.generator))

    def __call__(self, token_ids: list[int]) -> MaskedPair:
        """token_ids (a list of L ids, unpadded or padded) -> s' and s'' as lists of L ids."""
        maskable = [i for i, t in enumerate(token_ids) if t not in self.special_ids]
        k1, k2 = span_lengths(len(maskable), self.inner_ratio, self.outer_ratio)
        if k1 == 0:
            self.unmaskable += 1
            return MaskedPair(list(token_ids), list(token_ids), [], [])
        outer_start = self._randint(len(maskable) - k2)
        inner_start = outer_start + self._randint(k2 - k1)
        outer_positions = maskable[outer_start: outer_start + k2]
        inner_positions = maskable[inner_start: inner_start + k1]
        return MaskedPair(self._apply(token_ids, inner_positions), self._apply(token_ids, outer_positions),
                          inner_positions, outer_positions)

    def _apply(self, token_ids: list[int], positions: list[int]) -> list[int]:
        out = list(token_ids)
        for p in positions:
            out[p] = self.mask_token_id
        return out
