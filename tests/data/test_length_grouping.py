"""Length-grouped shuffling (data.group_by_length): a permutation, less padding, resumable, seeded."""

from __future__ import annotations

import random

import pytest

from sentemb.data.resumable import ResumableShuffleSampler

N, BATCH = 203, 8  # a partial last batch of 3


def batches(order, size=BATCH):
    return [order[i : i + size] for i in range(0, len(order), size)]


def padded_tokens(order, lengths):
    return sum(max(lengths[i] for i in b) * len(b) for b in batches(order))


@pytest.fixture
def lengths():
    rng = random.Random(0)
    return [rng.randint(3, 32) for _ in range(N)]


def test_grouped_order_is_a_permutation_with_less_padding(lengths):
    plain = list(ResumableShuffleSampler(N, 7))
    grouped = list(ResumableShuffleSampler(N, 7, lengths, group_batches=5, batch_size=BATCH))
    assert sorted(grouped) == list(range(N))
    assert padded_tokens(grouped, lengths) < 0.8 * padded_tokens(plain, lengths)
    assert len(batches(grouped)[-1]) == N % BATCH  # the partial batch stays last: boundaries never shift
    window = 5 * BATCH
    for start in range(0, N, window):  # each window holds the same sentences as the plain shuffle's
        assert sorted(grouped[start : start + window]) == sorted(plain[start : start + window])
    within = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches(grouped)]
    across = [max(lengths[i] for i in b) - min(lengths[i] for i in b) for b in batches(plain)]
    assert sum(within) < 0.5 * sum(across)


def test_grouped_order_is_seeded_per_epoch_and_resumes(lengths):
    make = lambda: ResumableShuffleSampler(N, 7, lengths, group_batches=5, batch_size=BATCH)  # noqa: E731
    a, b = make(), make()
    assert list(a) == list(b)
    a.set_epoch(1)
    epoch1 = list(a)
    assert epoch1 != list(b)
    resumed = make()
    resumed.resume_from(1, 3, BATCH)
    assert list(resumed) == epoch1[3 * BATCH :]


def test_bad_grouping_settings_are_refused(lengths):
    with pytest.raises(ValueError, match="data.group_by_length"):
        ResumableShuffleSampler(N, 7, lengths, group_batches=-1, batch_size=BATCH)
    with pytest.raises(ValueError, match="one length per example"):
        ResumableShuffleSampler(N, 7, lengths[:-1], group_batches=2, batch_size=BATCH)


@pytest.mark.parametrize("group", [0, 5])
def test_processes_take_consecutive_shares_of_each_global_batch(lengths, group):
    """Two processes with batch B see, step by step, the batch one process with 2B sees (split in halves);
    the same number of equal-sized batches each; a resume skips each process's own batches done."""
    whole = list(ResumableShuffleSampler(N, 7, lengths, group, batch_size=2 * BATCH))
    shares = [ResumableShuffleSampler(N, 7, lengths, group, batch_size=BATCH, rank=r, world_size=2) for r in (0, 1)]
    orders = [list(s) for s in shares]
    assert len(orders[0]) == len(orders[1]) == len(shares[0]) == len(shares[1])
    for step, global_batch in enumerate(batches(whole, 2 * BATCH)):
        per_rank = len(global_batch) // 2
        got = [batches(o)[step] for o in orders]
        assert got[0] + got[1] == global_batch[: 2 * per_rank]
    assert len(set(orders[0]) | set(orders[1])) == N - N % 2  # at most world_size - 1 left out
    resumed = ResumableShuffleSampler(N, 7, lengths, group, batch_size=BATCH, rank=1, world_size=2)
    resumed.resume_from(0, 3, BATCH)
    assert list(resumed) == orders[1][3 * BATCH:]
