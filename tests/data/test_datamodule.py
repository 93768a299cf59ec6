import torch

from sentemb.data.batches import DropoutPairBuilder
from sentemb.data.datamodule import TextDataModule


def make_dm(tiny_corpus, backbone, cache_dir, **kw):
    return TextDataModule(tiny_corpus, backbone.tokenizer, DropoutPairBuilder, batch_size=5, max_length=8,
                          cache_dir=str(cache_dir), **kw)


def test_dropout_pair_batches_have_two_identical_views_and_dynamic_padding(tiny_corpus, tiny_backbone_factory,
                                                                            tmp_path):
    backbone = tiny_backbone_factory()
    dm = make_dm(tiny_corpus, backbone, tmp_path / "c")
    dm.setup("fit")
    assert len(dm.train_set) == 36 and dm.dropped_empty == 2
    batch = next(iter(dm.train_dataloader()))
    b, v, length = batch.input_ids.shape
    assert (b, v) == (5, 2) and length <= 8
    assert torch.equal(batch.input_ids[:, 0], batch.input_ids[:, 1])
    assert batch.attention_mask[:, 0].sum(1).max() == length  # padded to the longest, no further
    assert (batch.input_ids[:, 0, 0] == backbone.tokenizer.cls_token_id).all()


def test_tokenised_once_then_read_from_cache(tiny_corpus, tiny_backbone_factory, tmp_path):
    backbone = tiny_backbone_factory()
    make_dm(tiny_corpus, backbone, tmp_path / "c").setup("fit")
    cached = list((tmp_path / "c").glob("tokenized-*"))
    assert len(cached) == 1
    dm = make_dm(tiny_corpus, backbone, tmp_path / "c")
    dm.setup("fit")
    assert len(list((tmp_path / "c").glob("tokenized-*"))) == 1
    # a different max_length is a different cache entry
    TextDataModule(tiny_corpus, backbone.tokenizer, DropoutPairBuilder, max_length=6,
                   cache_dir=str(tmp_path / "c")).setup("fit")
    assert len(list((tmp_path / "c").glob("tokenized-*"))) == 2


def test_order_is_seeded(tiny_corpus, tiny_backbone_factory, tmp_path):
    backbone = tiny_backbone_factory()

    def order(seed):
        dm = make_dm(tiny_corpus, backbone, tmp_path / "c", seed=seed)
        dm.setup("fit")
        return [b.index.tolist() for b in dm.train_dataloader()]

    assert order(7) == order(7)
    assert order(7) != order(8)


def test_group_by_length_pads_less_over_the_same_sentences(tiny_corpus, tiny_backbone_factory, tmp_path):
    backbone = tiny_backbone_factory()

    def epoch(**kw):
        dm = TextDataModule(tiny_corpus, backbone.tokenizer, DropoutPairBuilder, batch_size=5, max_length=64,
                            cache_dir=str(tmp_path / "c"), **kw)
        dm.setup("fit")
        out = list(dm.train_dataloader())
        return sorted(int(i) for b in out for i in b.index), sum(b.input_ids[:, 0].numel() for b in out)

    plain_rows, plain_padded = epoch()
    grouped_rows, grouped_padded = epoch(group_by_length=4)
    assert grouped_rows == plain_rows == list(range(36))
    assert grouped_padded < plain_padded
