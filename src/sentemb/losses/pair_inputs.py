"""Checks shared by the pair losses: row-aligned (u, v) and the labels that come with them."""

from __future__ import annotations

from torch import Tensor

from sentemb.errors import SettingError
from sentemb.samplers.pairs import ContrastivePairs


def aligned_pairs(pairs: ContrastivePairs, loss_name: str) -> tuple[Tensor, Tensor, Tensor]:
    """(u (N, D), v (N, D), labels (N,)) of `pairs`, with errors naming the setting to change.

    Pair losses read pair i as (anchors[i], candidates[i]) with label pair_labels[i]; sampler=paired makes
    such pairs from two-view batches with labels (data=stsb_train, snli_pairs, pair_csv).
    """
    if pairs.pair_labels is None:
        raise SettingError(
            f"loss={loss_name} needs a label per pair (pair_labels) but the sampler gave none: use "
            "sampler=paired with labelled pair data (data=stsb_train, snli_pairs or pair_csv)"
        )
    u, v = pairs.anchors, pairs.candidates
    if u.shape != v.shape:
        raise SettingError(
            f"loss={loss_name} needs row-aligned pairs (anchors and candidates of the same shape), got "
            f"{tuple(u.shape)} and {tuple(v.shape)}: use sampler=paired"
        )
    return u, v, pairs.pair_labels
