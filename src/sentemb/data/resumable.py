"""A seeded shuffle that can resume mid-epoch: same order per (seed, epoch), first `skip` indices dropped."""

from __future__ import annotations

import torch
from torch.utils.data import Sampler

from sentemb.errors import SettingError


class ResumableShuffleSampler(Sampler[int]):
    """Permutation of range(n) drawn from `seed + epoch` (reseeded each epoch via `set_epoch`, which
    Lightning calls). After a resume, `resume_from(epoch, batches_done, batch_size)` makes the next
    iteration of that epoch skip the samples already trained on, so the data order equals an
    uninterrupted run's. `len` stays n: Lightning counts the epoch's batches from it.

    Length grouping (`group_batches` > 0, with the token `lengths` and the `batch_size` of the DataLoader):
    each window of `group_batches * batch_size` shuffled indices is sorted by length and cut into batches,
    whose order within the window is shuffled again (the "megabatch" scheme of Hugging Face's
    `group_by_length`). Batches then hold sentences of similar length and pad less, while which sentences
    share a window stays random. A last, partial batch stays last, so batch boundaries never shift.
    """

    def __init__(self, n: int, seed: int, lengths: list[int] | None = None, group_batches: int = 0,
                 batch_size: int = 1):
        if group_batches < 0:
            raise SettingError(f"data.group_by_length must be >= 0 (batches per sorting window), got {group_batches}")
        if group_batches and (lengths is None or len(lengths) != n):
            raise ValueError("length grouping needs one length per example")
        self.n, self.seed = n, seed
        self.lengths, self.group_batches, self.batch_size = lengths, group_batches, batch_size
        self.epoch = 0
        self._skip_epoch: int | None = None
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume_from(self, epoch: int, batches_done: int, batch_size: int) -> None:
        self.epoch = epoch
        self._skip_epoch, self._skip = epoch, batches_done * batch_size

    def __iter__(self):
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=generator).tolist()
        if self.group_batches:
            order = self._grouped(order, generator)
        skip = self._skip if self._skip_epoch == self.epoch else 0
        self._skip_epoch, self._skip = None, 0
        return iter(order[skip:])

    def __len__(self) -> int:
        return self.n

    def _grouped(self, order: list[int], generator: torch.Generator) -> list[int]:
        size, window = self.batch_size, self.group_batches * self.batch_size
        grouped: list[int] = []
        for start in range(0, len(order), window):
            chunk = sorted(order[start : start + window], key=lambda i: -self.lengths[i])
            batches = [chunk[i : i + size] for i in range(0, len(chunk), size)]
            tail = [batches.pop()] if len(batches[-1]) < size else []
            for b in torch.randperm(len(batches), generator=generator).tolist() if batches else []:
                grouped.extend(batches[b])
            for batch in tail:
                grouped.extend(batch)
        return grouped


def progress_of(trainer) -> dict[str, int]:
    """Epoch and batches trained on in it (`processed`: a checkpoint written in on_train_batch_end counts
    its batch, which `completed` does not yet), from Lightning's loop state, for DataModule.state_dict."""
    if trainer is None:
        return {"epoch": 0, "batches_done": 0}
    return {"epoch": int(trainer.current_epoch),
            "batches_done": int(trainer.fit_loop.epoch_loop.batch_progress.current.processed)}
