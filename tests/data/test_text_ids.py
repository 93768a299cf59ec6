"""Normalised-text ids and their way into batches (sampler=false_negative's same-text detection)."""

import torch

from sentemb.data.batches import DropoutPairBuilder
from sentemb.data.datamodule import TextDataModule
from sentemb.data.text_ids import normalise_text, text_id
from sentemb.data.view_batches import LabelledViewsBuilder, TripletBuilder


def test_normalisation_ignores_case_punctuation_and_spacing():
    assert normalise_text("  Hello,   World!! ") == "hello world"
    assert text_id("How do I top up?") == text_id("how do i top up") != text_id("how do i top-up it")
    assert text_id("ｆｕｌｌ width") == text_id("full width")  # NFKC
    assert isinstance(text_id("x"), int) and -2**63 <= text_id("x") < 2**63


def test_text_file_batches_carry_one_id_per_view(tiny_corpus, tiny_backbone_factory, tmp_path):
    backbone = tiny_backbone_factory()
    dm = TextDataModule(tiny_corpus, backbone.tokenizer, DropoutPairBuilder, batch_size=36, max_length=8,
                        cache_dir=str(tmp_path / "c"))
    dm.setup("fit")
    batch = next(iter(dm.train_dataloader()))
    assert batch.text_ids.shape == (36, 2) and torch.equal(batch.text_ids[:, 0], batch.text_ids[:, 1])
    assert len(set(batch.text_ids[:, 0].tolist())) == 12  # the corpus is 12 sentences, 3 times
    same = batch.text_ids[:, 0].unsqueeze(0) == batch.text_ids[:, 0].unsqueeze(1)
    assert torch.equal(same, batch.input_ids[:, 0].unsqueeze(0).eq(batch.input_ids[:, 0].unsqueeze(1)).all(-1))


def test_view_builders_carry_text_ids_per_view():
    class Tok:
        pad_token_id = 0

    rows = [{"views": [[101, 5, 102], [101, 6, 102], [101, 7, 102]], "label": None, "index": 0, "text_ids": [1, 2, 3]},
            {"views": [[101, 8, 102], [101, 9, 102], [101, 5, 102]], "label": None, "index": 1, "text_ids": [4, 5, 1]}]
    assert TripletBuilder(Tok())(rows).text_ids.tolist() == [[1, 2, 3], [4, 5, 1]]
    one = [{"views": [[101, 5, 102]], "label": 3, "index": 0, "text_ids": [7]}]
    assert LabelledViewsBuilder(Tok(), num_views=2)(one).text_ids.tolist() == [[7, 7]]
    assert TripletBuilder(Tok())([{k: v for k, v in r.items() if k != "text_ids"} for r in rows]).text_ids is None
