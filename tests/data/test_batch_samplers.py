"""Batch samplers: two-per-label groups, no duplicate sentences, seeded and reseeded each epoch."""

from collections import Counter

import pytest

from sentemb.data.batch_samplers import LabelBatchSampler, NoDuplicatesBatchSampler, pack_groups


def labelled_rows(n_labels=7, seed=0):
    import random

    rng = random.Random(seed)
    labels = [rng.randrange(n_labels) for _ in range(150)]
    labels += [99]  # a label with one row: it cannot be paired and is left out
    texts = [(f"text {i % 120}",) for i in range(len(labels))]  # rows 120.. repeat earlier texts
    return labels, texts


@pytest.mark.parametrize("per_label,batch_size", [(2, 8), (2, 10), (3, 9), (4, 16)])
def test_every_label_in_a_batch_has_at_least_per_label_rows(per_label, batch_size):
    labels, texts = labelled_rows()
    sampler = LabelBatchSampler(labels, batch_size, per_label, seed=1, keys=texts)
    for epoch in range(3):
        sampler.set_epoch(epoch)
        expected_len = len(sampler)
        batches = list(sampler)
        assert batches and len(batches) == expected_len
        for batch in batches:
            assert len(batch) <= batch_size
            counts = Counter(labels[i] for i in batch)
            assert min(counts.values()) >= per_label, counts
            assert len({texts[i] for i in batch}) == len(batch)  # no duplicate text in a batch
        seen = [i for b in batches for i in b]
        assert len(seen) == len(set(seen))  # each row at most once per epoch
        assert 150 not in seen  # the lone label-99 row


def test_label_sampler_is_seeded_and_reseeded_each_epoch():
    labels, texts = labelled_rows()
    a = LabelBatchSampler(labels, 8, 2, seed=3, keys=texts)
    b = LabelBatchSampler(labels, 8, 2, seed=3, keys=texts)
    first = list(a)
    assert first == list(b)
    second = list(a)  # a completed pass advances the epoch
    assert second != first and a.epoch == 2
    a.set_epoch(1)
    assert list(a) == second
    a.set_epoch(0)
    assert list(a) == first
    assert list(LabelBatchSampler(labels, 8, 2, seed=4, keys=texts)) != first


def test_lightning_sets_the_epoch_through_the_dataloader():
    from lightning.fabric.utilities.data import _set_sampler_epoch
    from torch.utils.data import DataLoader

    sampler = NoDuplicatesBatchSampler([(str(i),) for i in range(10)], 3, seed=0)
    _set_sampler_epoch(DataLoader(list(range(10)), batch_sampler=sampler), 5)
    assert sampler.epoch == 5


def test_label_sampler_argument_errors():
    with pytest.raises(ValueError, match="multiple of data.per_label"):
        LabelBatchSampler([0, 0, 1, 1], batch_size=5, per_label=2)
    with pytest.raises(ValueError, match="no label has 2 or more rows"):
        LabelBatchSampler([0, 1, 2], batch_size=4, per_label=2)


def test_no_duplicates_sampler_keeps_sentences_apart_and_covers_every_row():
    keys = [("premise A", "h1", "h2"), ("premise A", "h3", "h4"), ("premise B", "h5", "h6"),
            ("premise C", "h1", "h7")] + [(f"p{i}", f"q{i}", f"r{i}") for i in range(20)]
    sampler = NoDuplicatesBatchSampler(keys, batch_size=4, seed=0)
    for epoch in range(4):
        sampler.set_epoch(epoch)
        batches = list(sampler)
        for batch in batches:
            texts = [t for i in batch for t in keys[i]]
            assert len(texts) == len(set(texts))
        assert sorted(i for b in batches for i in b) == list(range(len(keys)))


def test_no_duplicates_drop_last_and_shards():
    keys = [(str(i),) for i in range(10)]
    assert [len(b) for b in NoDuplicatesBatchSampler(keys, 4, drop_last=True)] == [4, 4]
    whole = list(NoDuplicatesBatchSampler(keys, 6))  # one process with 2 x 3 rows: batches of 6 and 4
    shards = [list(NoDuplicatesBatchSampler(keys, 3, rank=r, world_size=2)) for r in range(2)]
    # each process takes its consecutive half of every global batch: the gathered batch is the 6-row one
    assert shards[0] == [whole[0][:3], whole[1][:2]] and shards[1] == [whole[0][3:], whole[1][2:]]


def test_label_batches_shard_in_whole_groups_with_equal_counts():
    labels = [i % 5 for i in range(40)]
    per_rank = [LabelBatchSampler(labels, 4, per_label=2, rank=r, world_size=3) for r in range(3)]
    for epoch in (0, 1):
        batches = []
        for sampler in per_rank:
            sampler.set_epoch(epoch)
            batches.append(list(sampler))
        assert len({len(b) for b in batches}) == 1  # the same number of batches on every process
        for step in zip(*batches):
            assert len({len(b) for b in step}) == 1  # and of the same size at every step
            for batch in step:
                counts = {}
                for i in batch:
                    counts[labels[i]] = counts.get(labels[i], 0) + 1
                assert min(counts.values()) >= 2, counts  # SupCon's groups hold on each process
        seen = [i for b in batches for batch in b for i in batch]
        assert len(seen) == len(set(seen))  # distinct shares


def test_resume_skips_the_batches_done_on_every_process():
    keys = [(str(i),) for i in range(30)]
    for rank in (0, 1):
        full = list(NoDuplicatesBatchSampler(keys, 3, rank=rank, world_size=2))
        resumed = NoDuplicatesBatchSampler(keys, 3, rank=rank, world_size=2)
        resumed.resume_from(0, 2)
        assert list(resumed) == full[2:]


def test_pack_groups_keeps_groups_whole():
    batches = pack_groups([[0, 1], [2, 3, 4], [5], [6, 7]], 4, None, drop_last=False)
    assert batches == [[0, 1, 5], [2, 3, 4], [6, 7]]
