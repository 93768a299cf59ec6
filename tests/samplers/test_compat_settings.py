"""Bad settings refused at start-up, naming the setting."""

import pytest

from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.compat import IncompatibleConfigError, check_compatible
from sentemb.samplers.in_batch import InBatchSampler


def test_batch_of_one_with_in_batch_negatives_is_refused():
    with pytest.raises(IncompatibleConfigError, match=r"data.batch_size=1: sampler=in_batch with loss=infonce"):
        check_compatible(InfoNCELoss(), InBatchSampler(), batch_size=1)
    check_compatible(InfoNCELoss(), InBatchSampler(), batch_size=2)


def test_corpus_smaller_than_a_batch_trains_and_warns(tmp_path, tiny_backbone_factory, caplog):
    from sentemb.data.batches import DropoutPairBuilder
    from sentemb.data.datamodule import TextDataModule

    (tmp_path / "few.txt").write_text("one sentence\nanother sentence\nthird\n")
    dm = TextDataModule(tmp_path / "few.txt", tiny_backbone_factory().tokenizer, DropoutPairBuilder, batch_size=8,
                        cache_dir=None)
    dm.setup("fit")
    assert "fewer than one batch" in caplog.text and "few.txt" in caplog.text
    batches = list(dm.train_dataloader())
    assert len(batches) == 1 and len(batches[0]) == 3
