"""Where each anchor's own hard negative sits among the candidates of `sampler=in_batch`.

With NLI triplets (B, 3, D) the in_batch sampler returns anchors = view 0 (N = B rows) and candidates =
views 1..V-1 stacked view by view: columns 0..N-1 are the entailments (positives), columns N..2N-1 the
contradictions. The own hard negative of anchor i is column k*N + i for every k >= 1 (one per extra view).
"""

from __future__ import annotations

import torch
from torch import Tensor


def own_hard_negative_mask(n_anchors: int, n_candidates: int, device: torch.device | None = None) -> Tensor:
    """(N, M) bool, True at (i, k*N + i) for k >= 1; all False when M == N (no hard negatives).

    Raises ValueError when M is not a multiple of N (the candidates are not laid out as in_batch lays them).
    """
    if n_candidates % n_anchors:
        raise ValueError(
            f"{n_candidates} candidates for {n_anchors} anchors: own hard negatives need the layout of "
            "sampler=in_batch (candidates = views 1..V-1 of the batch, view by view)"
        )
    eye = torch.eye(n_anchors, dtype=torch.bool, device=device)
    blocks = [torch.zeros_like(eye)] + [eye] * (n_candidates // n_anchors - 1)
    return torch.cat(blocks, dim=1)
