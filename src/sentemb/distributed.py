"""Gathering embeddings across processes with gradients, so N processes see N x the in-batch negatives."""

from __future__ import annotations

import torch
import torch.distributed as dist
from torch import Tensor


def world_size() -> int:
    return dist.get_world_size() if dist.is_available() and dist.is_initialized() else 1


def gather_with_grad(tensor: Tensor) -> Tensor:
    """(B, ...) on each of N processes -> (N*B, ...) on every process, rank order, gradients flowing back.

    Every process then computes the same global loss; the backward of all_gather sums the gradients of
    all ranks into each rank's slice, and DDP's gradient averaging divides by N, so parameter gradients
    equal those of one process holding the whole batch.
    """
    if world_size() == 1:
        return tensor
    from torch.distributed.nn.functional import all_gather

    return torch.cat(all_gather(tensor.contiguous()), dim=0)


def gather_no_grad(tensor: Tensor) -> Tensor:
    """(B, ...) -> (N*B, ...) without gradients (labels, indices)."""
    if world_size() == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts, dim=0)
