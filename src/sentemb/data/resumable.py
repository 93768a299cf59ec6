"""A seeded shuffle that can resume mid-epoch: same order per (seed, epoch), first `skip` indices dropped."""

from __future__ import annotations

import torch
from torch.utils.data import Sampler

from sentemb.distributed import rank_and_world, shard_global_batches
from sentemb.errors import SettingError


class ResumableShuffleSampler(Sampler[int]):
    """Permutation of range(n) drawn from `seed + epoch` (reseeded each epoch via `set_epoch`, which
    Lightning calls). After a resume, `resume_from(epoch, batches_done, batch_size)` makes the next
    iteration of that epoch skip the samples already trained on, so the data order equals an
    uninterrupted run's. `len` stays the epoch's full count (n in one process): Lightning counts the
    epoch's batches from it.

    Length grouping (`group_batches` > 0, with the token `lengths` and the `batch_size` of the DataLoader):
    each window of `group_batches * batch_size` shuffled indices is sorted by length and cut into batches,
    whose order within the window is shuffled again (the "megabatch" scheme of Hugging Face's
    `group_by_length`). Batches then hold sentences of similar length and pad less, while which sentences
    share a window stays random. A last, partial batch stays last, so batch boundaries never shift.
    """

    def __init__(self, n: int, seed: int, lengths: list[int] | None = None, group_batches: int = 0,
                 batch_size: int = 1, rank: int | None = None, world_size: int | None = None):
        if group_batches < 0:
            raise SettingError(f"data.group_by_length must be >= 0 (batches per sorting window), got {group_batches}")
        if group_batches and (lengths is None or len(lengths) != n):
            raise ValueError("length grouping needs one length per example")
        self.n, self.seed = n, seed
        self.lengths, self.group_batches, self.batch_size = lengths, group_batches, batch_size
        self._rank, self._world_size = rank, world_size
        self.epoch = 0
        self._skip_epoch: int | None = None
        self._skip = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def resume_from(self, epoch: int, batches_done: int, batch_size: int) -> None:
        self.epoch = epoch
        self._skip_epoch, self._skip = epoch, batches_done * batch_size

    def _shard(self) -> tuple[int, int]:
        if self._world_size is not None:
            return int(self._rank or 0), int(self._world_size)
        return rank_and_world()

    def indices(self) -> list[int]:
        """This process's indices of the current epoch, in order (before any resume skip)."""
        rank, world = self._shard()
        generator = torch.Generator().manual_seed(self.seed + self.epoch)
        order = torch.randperm(self.n, generator=generator).tolist()
        if self.group_batches:
            order = self._grouped(order, generator, self.batch_size * world)
        if world == 1:
            return order
        size = self.batch_size * world
        shares = shard_global_batches([order[s:s + size] for s in range(0, len(order), size)], rank, world)
        return [i for share in shares for i in share]

    def __iter__(self):
        order = self.indices()
        skip = self._skip if self._skip_epoch == self.epoch else 0
        self._skip_epoch, self._skip = None, 0
        return iter(order[skip:])

    def __len__(self) -> int:
        rank, world = self._shard()
        if world == 1:
            return self.n
        size = self.batch_size * world
        full, last = divmod(self.n, size)
        return full * self.batch_size + last // world

    def _grouped(self, order: list[int], generator: torch.Generator, size: int) -> list[int]:
        window = self.group_batches * size
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
