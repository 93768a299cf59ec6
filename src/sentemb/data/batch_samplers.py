"""Batch samplers for supervised data: no duplicate sentences in a batch; at least k examples per label.

Both are seeded and reseeded each epoch (seed + epoch), so a run is reproducible and each epoch sees new
batches. The epoch advances when an iteration over the sampler completes, and is set by `set_epoch`:
Lightning calls `set_epoch` on `dataloader.batch_sampler.sampler` at every epoch start (also on resume),
which here is a small forwarder to the batch sampler. A duplicate sentence in a batch is a false
negative for in-batch losses (sentence-transformers' NoDuplicatesBatchSampler avoids it the same way).

Several processes (DDP): the plan is made of global batches of world_size x batch_size rows (no duplicate
sentence in the whole gathered batch, label groups whole), and each process takes its consecutive slice
of every global batch (`sentemb.distributed.shard_global_batches`): a distinct, seeded share, the same
number of batches on every process, each of the same size; so the gathered batch of a step is the batch
one process with world_size x batch_size would see. Lightning does not wrap these samplers
(`trainer.use_distributed_sampler: false` in conf/config.yaml).
"""

from __future__ import annotations

import logging
import random
from collections import defaultdict
from collections.abc import Hashable, Iterator, Sequence

from torch.utils.data import Sampler

from sentemb.distributed import rank_and_world, shard_global_batches
from sentemb.errors import SettingError

log = logging.getLogger(__name__)


def pack_groups(groups: list[list[int]], batch_size: int, keys: Sequence[Sequence[Hashable]] | None,
                drop_last: bool) -> list[list[int]]:
    """Pack groups of row indices into batches of at most `batch_size`, in order, keeping each group whole.

    A group that does not fit, or that shares a key (a sentence) with the batch being filled, waits for a
    later batch. `keys[i]` are the sentences of row i (None: no duplicate check).
    """
    pending, batches = groups, []
    while pending:
        batch: list[int] = []
        seen: set = set()
        rest: list[list[int]] = []
        for pos, group in enumerate(pending):
            if len(batch) == batch_size:
                rest.extend(pending[pos:])
                break
            group_keys = [k for i in group for k in keys[i]] if keys is not None else []
            if len(batch) + len(group) <= batch_size and seen.isdisjoint(group_keys):
                batch.extend(group)
                seen.update(group_keys)
            else:
                rest.append(group)
        batches.append(batch)
        pending = rest
    if drop_last and batches and len(batches[-1]) < batch_size:
        batches.pop()
    return batches


class _SetEpochForwarder:
    """`batch_sampler.sampler` as Lightning sees it: forwards `set_epoch` to the batch sampler."""

    def __init__(self, owner: _EpochSeededBatchSampler):
        self.owner = owner

    def set_epoch(self, epoch: int) -> None:
        self.owner.set_epoch(epoch)


class _EpochSeededBatchSampler(Sampler[list[int]]):
    """Common part: a plan of global batches per epoch (cached), seeded by seed + epoch, sharded by rank.

    `unit`: rows that must stay in one process's share (a label group); `resume_from(epoch, batches_done)`
    makes the next pass over that epoch skip the batches already trained on (every process its own).
    """

    unit = 1

    def __init__(self, batch_size: int, seed: int, drop_last: bool, rank: int | None, world_size: int | None):
        if batch_size < 1:
            raise SettingError(f"data.batch_size must be >= 1, got {batch_size}")
        self.batch_size, self.seed, self.drop_last = int(batch_size), int(seed), drop_last
        self._rank, self._world_size = rank, world_size
        self.epoch = 0
        self._plan: tuple[tuple[int, int], list[list[int]]] | None = None
        self._skip: tuple[int, int] | None = None
        self.sampler = _SetEpochForwarder(self)

    def set_epoch(self, epoch: int) -> None:
        self.epoch = int(epoch)

    def resume_from(self, epoch: int, batches_done: int) -> None:
        self.epoch, self._skip = int(epoch), (int(epoch), int(batches_done))

    def _make_plan(self, rng: random.Random, batch_size: int) -> list[list[int]]:
        """The epoch's global batches of up to `batch_size` rows; each batch sampler defines its own."""
        raise TypeError(f"{type(self).__name__} must define _make_plan(rng, batch_size)")

    def _shard(self) -> tuple[int, int]:
        if self._world_size is not None:
            return int(self._rank or 0), int(self._world_size)
        return rank_and_world()

    def batches(self) -> list[list[int]]:
        """This process's batches of the current epoch."""
        rank, world = self._shard()
        key = (self.epoch, world)
        if self._plan is None or self._plan[0] != key:
            self._plan = (key, self._make_plan(random.Random(self.seed + self.epoch), self.batch_size * world))
        return shard_global_batches(self._plan[1], rank, world, self.unit)

    def __iter__(self) -> Iterator[list[int]]:
        skip = self._skip[1] if self._skip is not None and self._skip[0] == self.epoch else 0
        self._skip = None
        yield from self.batches()[skip:]
        self.epoch += 1  # a completed pass: the next one is a new epoch even without set_epoch

    def __len__(self) -> int:
        return len(self.batches())


class NoDuplicatesBatchSampler(_EpochSeededBatchSampler):
    """Shuffled batches of `batch_size` rows in which no sentence appears twice.

    keys: per row, the sentences it holds (e.g. the (anchor, positive, negative) of a triplet); rows whose
    sentences are already in the batch wait for a later one, so the last batches may be smaller.
    """

    def __init__(self, keys: Sequence[Sequence[Hashable]], batch_size: int, seed: int = 42,
                 drop_last: bool = False, rank: int | None = None, world_size: int | None = None):
        super().__init__(batch_size, seed, drop_last, rank, world_size)
        self.keys = keys

    def _make_plan(self, rng: random.Random, batch_size: int) -> list[list[int]]:
        order = list(range(len(self.keys)))
        rng.shuffle(order)
        return pack_groups([[i] for i in order], batch_size, self.keys, self.drop_last)


class LabelBatchSampler(_EpochSeededBatchSampler):
    """Batches made of groups of `per_label` examples of one label (SupCon needs >= 2 per label).

    Each epoch the rows of every label are shuffled and cut into groups of `per_label` (a label's last
    incomplete group is left out that epoch; labels with fewer than `per_label` rows never appear); the
    groups are shuffled and packed into batches of `batch_size` (a multiple of `per_label`) without
    duplicate sentences (`keys`, optional). So every label in a batch has at least `per_label` rows.
    """

    def __init__(self, labels: Sequence[Hashable], batch_size: int, per_label: int = 2, seed: int = 42,
                 keys: Sequence[Sequence[Hashable]] | None = None, drop_last: bool = False,
                 rank: int | None = None, world_size: int | None = None):
        super().__init__(batch_size, seed, drop_last, rank, world_size)
        if per_label < 1:
            raise SettingError(f"data.per_label must be >= 1, got {per_label}")
        if batch_size % per_label:
            raise SettingError(f"data.batch_size ({batch_size}) must be a multiple of data.per_label ({per_label})")
        self.per_label, self.keys = int(per_label), keys
        self.unit = self.per_label  # a process's share holds whole label groups
        rows: dict[Hashable, list[int]] = defaultdict(list)
        for i, label in enumerate(labels):
            rows[label].append(i)
        self.rows = {label: r for label, r in rows.items() if len(r) >= per_label}
        if not self.rows:
            raise SettingError(f"no label has {per_label} or more rows: cannot build batches with data.per_label="
                             f"{per_label}")
        if len(self.rows) < len(rows):
            log.warning("%d labels have fewer than %d rows and are left out", len(rows) - len(self.rows), per_label)

    def _make_plan(self, rng: random.Random, batch_size: int) -> list[list[int]]:
        groups = []
        for label in sorted(self.rows, key=str):
            rows = list(self.rows[label])
            rng.shuffle(rows)
            rows = self._distinct(rows)
            groups += [rows[s:s + self.per_label] for s in range(0, len(rows) - self.per_label + 1, self.per_label)]
        rng.shuffle(groups)
        return pack_groups(groups, batch_size, self.keys, self.drop_last)

    def _distinct(self, rows: list[int]) -> list[int]:
        """Rows of one label with repeated sentences dropped (they would share a group or a batch)."""
        if self.keys is None:
            return rows
        seen: set = set()
        kept = []
        for i in rows:
            if seen.isdisjoint(self.keys[i]):
                kept.append(i)
                seen.update(self.keys[i])
        return kept
