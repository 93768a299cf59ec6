"""Every augment option composes into the unsupervised batch builder and batches; fast_dev_run with one."""

from __future__ import annotations

import pytest
from hydra.utils import instantiate
from transformers import AutoTokenizer

from conftest import CONF_DIR, SENTENCES, compose_config
from sentemb.paths import minilm_path
from sentemb.train import train

AUGMENTS = sorted(p.stem for p in (CONF_DIR / "augment").glob("*.yaml"))


@pytest.fixture(scope="module")
def tok():
    return AutoTokenizer.from_pretrained(minilm_path())


@pytest.mark.parametrize("augment", AUGMENTS)
def test_every_augment_option_builds_batches(augment, tok, tmp_path):
    from test_synonym_cjk import write_wordnet

    overrides = [f"augment={augment}"]
    if augment == "synonym":
        overrides.append(f"augment.op.wordnet_dir={write_wordnet(tmp_path / 'wn')}")
    cfg = compose_config(overrides, tmp_path)
    builder = instantiate(cfg.model.batch_builder)(tokenizer=tok)
    rows = [{"input_ids": tok(s)["input_ids"], "index": i} for i, s in enumerate(SENTENCES)]
    batch = builder(rows)
    assert batch.input_ids.shape[:2] == (len(SENTENCES), 2)
    same = (batch.input_ids[:, 0] == batch.input_ids[:, 1]).all(dim=1)
    if augment == "dropout":
        assert same.all()
    else:  # the small WordNet written here has synonyms for "man" and "play" (SENTENCES[0])
        assert not same.all()


def test_fast_dev_run_with_an_augmentation_and_mlm(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "augment=repetition", "augment.views=both", "model=simcse_unsup_mlm",
                          "trainer.fast_dev_run=true"], tmp_path / "run")
    train(cfg)


def test_missing_wordnet_stops_the_run_at_start_up(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "augment=synonym", f"augment.op.wordnet_dir={tmp_path / 'none'}",
                          "trainer.fast_dev_run=true"], tmp_path / "run")
    with pytest.raises(Exception, match="wordnet-base"):
        train(cfg)


def test_datamodule_gives_the_builder_its_epoch(tiny_corpus, tok, tmp_path):
    from functools import partial

    from sentemb.augment.builder import AugmentedPairBuilder
    from sentemb.augment.ops import WordDeletion
    from sentemb.data.datamodule import TextDataModule

    dm = TextDataModule(tiny_corpus, tok, partial(AugmentedPairBuilder, augment=WordDeletion(0.5), seed=3),
                        batch_size=4, max_length=16, cache_dir=str(tmp_path / "c"))
    dm.setup("fit")
    loader = dm.train_dataloader()
    first = next(iter(loader))
    loader.sampler.set_epoch(1)
    again = next(iter(loader))
    assert dm.collate.current_epoch() == 1
    assert first.index.tolist() != again.index.tolist() or first.input_ids.tolist() != again.input_ids.tolist()
    loader.sampler.set_epoch(0)
    assert next(iter(loader)).input_ids.tolist() == first.input_ids.tolist()  # same epoch, same batch
