"""Labelled and pair readers, and the supervised data modules' batches (tiny files, MiniLM tokenizer)."""

import json

import pytest
import torch

from sentemb.data.errors import DataFormatError
from sentemb.data.labelled import LabelledDataModule, read_clinc150, read_labelled_csv, read_snips
from sentemb.data.nli import TripletDataModule
from sentemb.data.scored_pairs import PairDataModule, read_pair_csv
from sentemb.data.view_batches import LabelledViewsBuilder, PairBuilder, TripletBuilder


@pytest.fixture(scope="module")
def tokenizer():
    from transformers import AutoTokenizer

    from sentemb.paths import minilm_path

    return AutoTokenizer.from_pretrained(minilm_path())


def write_labelled(path, n_labels=4, per=5):
    rows = ["text,label"] + [f"query {i} about topic {k},intent_{k}" for k in range(n_labels) for i in range(per)]
    rows += ["query 0 about topic 0,intent_0"]  # a repeated row: dropped
    path.write_text("\n".join(rows) + "\n")
    return path


def test_labelled_readers(tmp_path):
    got = read_labelled_csv(write_labelled(tmp_path / "l.csv"))
    assert len(got.texts) == 21 and got.labels[0] == "intent_0"
    (tmp_path / "c.json").write_text(json.dumps({"train": [["hi there", "greet"]], "oos_train": [["x", "oos"]]}))
    assert read_clinc150(tmp_path / "c.json", "train").labels == ["greet"]
    assert read_clinc150(tmp_path / "c.json", "train", include_oos=True).labels == ["greet", "oos"]
    (tmp_path / "snips" / "train").mkdir(parents=True)
    (tmp_path / "snips" / "train" / "seq.in").write_text("play a song \nbook a table\n")
    (tmp_path / "snips" / "train" / "label").write_text("PlayMusic\nBookRestaurant\n")
    assert read_snips(tmp_path / "snips", "train").texts == ["play a song", "book a table"]
    (tmp_path / "snips" / "train" / "label").write_text("PlayMusic\n")
    with pytest.raises(DataFormatError, match="1 labels but .* has 2 texts"):
        read_snips(tmp_path / "snips", "train")


def test_labelled_datamodule_gives_two_views_and_two_per_label(tmp_path, tokenizer):
    dm = LabelledDataModule(write_labelled(tmp_path / "l.csv"), tokenizer, LabelledViewsBuilder, batch_size=6,
                            cache_dir=str(tmp_path / "cache"))
    dm.setup()
    assert len(dm.train_set) == 20 and dm.label_names == [f"intent_{k}" for k in range(4)]
    for batch in dm.train_dataloader():
        assert batch.input_ids.shape[1] == 2 and torch.equal(batch.input_ids[:, 0], batch.input_ids[:, 1])
        assert batch.labels.dtype == torch.long and min(torch.bincount(batch.labels)[batch.labels]) >= 2


def test_triplet_datamodule_batches(tmp_path, tokenizer):
    path = tmp_path / "t.csv"
    path.write_text("sent0,sent1,hard_neg\n" + "".join(f"anchor {i},pos {i},neg {i}\n" for i in range(10)))
    dm = TripletDataModule(path, tokenizer, TripletBuilder, batch_size=4, cache_dir=str(tmp_path / "cache"))
    dm.setup()
    batches = list(dm.train_dataloader())
    assert [len(b) for b in batches] == [4, 4, 2] and batches[0].input_ids.shape[1] == 3
    row = int(batches[0].index[0])
    assert tokenizer.decode(batches[0].input_ids[0, 2], skip_special_tokens=True) == f"neg {row}"


def test_pair_datamodule_scores_and_classes(tmp_path, tokenizer):
    path = tmp_path / "p.csv"
    path.write_text("sentence1,sentence2,label\na b,c d,4.5\ne f,g h,1\n")
    pairs, labels = read_pair_csv(path)
    assert labels == [4.5, 1.0] and pairs[0] == ("a b", "c d")
    dm = PairDataModule(path, tokenizer, PairBuilder, max_score=5.0, batch_size=8, cache_dir=str(tmp_path / "c"))
    dm.setup()
    batch = next(iter(dm.train_dataloader()))
    assert batch.input_ids.shape[:2] == (2, 2) and batch.labels.dtype == torch.float32
    assert sorted(batch.labels.tolist()) == pytest.approx([0.2, 0.9])
    path.write_text("sentence1,sentence2,label\na,b,0\nc,d,2\n")
    assert read_pair_csv(path)[1] == [0, 2]


def test_builders_name_the_data_they_need(tokenizer):
    rows = [{"input_ids": [101, 102], "index": 0}]
    with pytest.raises(ValueError, match="data=nli_sample"):
        TripletBuilder(tokenizer)(rows)
    with pytest.raises(ValueError, match="data=banking77"):
        LabelledViewsBuilder(tokenizer)([{"views": [[101, 102]], "label": None, "index": 0}])
    with pytest.raises(ValueError, match="data=stsb_train"):
        PairBuilder(tokenizer)([{"views": [[101, 102]], "label": 1, "index": 0}])


def test_real_stsb_train_and_snli_pairs(shared_data_dir, tokenizer, tmp_path):
    stsb = PairDataModule(shared_data_dir / "en/STS/STSBenchmark", tokenizer, PairBuilder, format="stsb",
                          max_score=5.0, cache_dir=None).read()
    assert len(stsb.texts) == 5749 and 0.0 <= min(stsb.labels) and max(stsb.labels) <= 1.0
    snli = PairDataModule(shared_data_dir / "en/SNLI", tokenizer, PairBuilder, format="snli", splits=["dev"],
                          cache_dir=None).read()
    assert set(snli.labels) == {0, 1, 2} and len(snli.texts) > 9000
