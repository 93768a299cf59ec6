"""A seeded shuffle that can resume mid-epoch: same order per (seed, epoch), first `skip` indices dropped."""

from __future__ import annotations

import torch
from torch.utils.data import Sampler


class ResumableShuffleSampler(Sampler[int]):
    """Permutation of range(n) drawn from `seed + epoch` (reseeded each epoch via `set_epoch`, which
    Lightning calls). After a resume, `resume_from(epoch, batches_done, batch_size)` makes the next
    iteration of that epoch skip the samples already trained on, so the data order equals an
    uninterrupted run's. `len` stays n: Lightning counts the epoch's batches from it.
    """

    def __init__(self, n: int, seed: int):
        self.n, self.seed = n, seed
        self.epoch = 0
        self._skip_epoch: int | None = None
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume_from(self, epoch: int, batches_done: int, batch_size: int) -> None:
        self.epoch = epoch
        self._skip_epoch, self._skip = epoch, batches_done * batch_size

    def __iter__(self):
        order = torch.randperm(self.n, generator=torch.Generator().manual_seed(self.seed + self.epoch)).tolist()
        skip = self._skip if self._skip_epoch == self.epoch else 0
        self._skip_epoch, self._skip = None, 0
        return iter(order[skip:])

    def __len__(self) -> int:
        return self.n


def progress_of(trainer) -> dict[str, int]:
    """Epoch and batches trained on in it (`processed`: a checkpoint written in on_train_batch_end counts
    its batch, which `completed` does not yet), from Lightning's loop state, for DataModule.state_dict."""
    if trainer is None:
        return {"epoch": 0, "batches_done": 0}
    return {"epoch": int(trainer.current_epoch),
            "batches_done": int(trainer.fit_loop.epoch_loop.batch_progress.current.processed)}
