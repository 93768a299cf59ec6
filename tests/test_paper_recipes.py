"""Every paper recipe (conf/experiment/*_base.yaml) composes to the paper's settings and runs a fast_dev_run
with the backbone swapped for tiny_random and the Hub data swapped for a local file of the same kind, so that
the recipe's own model, loss, sampler, batch builder and data module are what runs."""

from __future__ import annotations

import pytest

from conftest import CONF_DIR, SENTENCES, compose_config
from sentemb.train import train

RECIPES = sorted(p.stem for p in (CONF_DIR / "experiment").glob("*_base.yaml"))

# what each recipe promises (its source is named in the yaml): the settings a user would check against the paper
PAPER_SETTINGS = {
    "simcse_unsup_bert_base": dict(model="simcse_unsup", backbone="bert-base-uncased", lr=3e-5, batch=64,
                                   loss="InfoNCELoss", sampler="InBatchSampler", pooling="cls_before_pooler"),
    "simcse_sup_bert_base": dict(model="simcse_sup", backbone="bert-base-uncased", lr=5e-5, batch=512,
                                 loss="InfoNCELoss", sampler="InBatchSampler", pooling="cls_before_pooler"),
    "arccse_bert_base": dict(model="arccse", backbone="bert-base-uncased", lr=3e-5, batch=64,
                             loss="ArcConLoss", sampler="InBatchSampler", pooling="cls_before_pooler"),
    "simcse_unsup_roberta_base": dict(model="simcse_unsup", backbone="roberta-base", lr=1e-5, batch=512,
                                      loss="InfoNCELoss", sampler="InBatchSampler", pooling="cls_before_pooler"),
    "vascl_roberta_base": dict(model="vascl", backbone="roberta-base", lr=5e-6, batch=1024,
                               loss="VaSCLLoss", sampler="KnnSampler", pooling="mean"),
}


def test_every_recipe_is_listed():
    assert sorted(PAPER_SETTINGS) == RECIPES


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_has_the_papers_settings(recipe, tmp_path):
    cfg = compose_config([f"experiment={recipe}"], tmp_path)
    want = PAPER_SETTINGS[recipe]
    assert cfg.model.name == want["model"] and cfg.backbone.name_or_path == want["backbone"]
    assert cfg.model.lr == pytest.approx(want["lr"]) and cfg.data.batch_size == want["batch"]
    assert cfg.loss._target_.endswith(want["loss"]) and cfg.sampler._target_.endswith(want["sampler"])
    assert cfg.model.pooling == want["pooling"] and cfg.data.max_length == 32
    assert cfg.loss.temperature == pytest.approx(0.05)
    assert cfg.trainer.max_steps == -1 and cfg.callbacks.sts_dev.every_n_steps > 0
    assert cfg.data.path.get("repo_id") == "princeton-nlp/datasets-for-simcse"  # the papers' data, from the Hub


def local_data(cfg, folder) -> list[str]:
    """Overrides replacing the recipe's Hub file by a local file its data module reads the same way."""
    folder.mkdir(parents=True, exist_ok=True)
    n = len(SENTENCES)
    if cfg.data._target_.endswith("TripletDataModule"):  # SimCSE's nli_for_simcse.csv layout
        path = folder / "nli.csv"
        path.write_text("sent0,sent1,hard_neg\n" + "".join(
            f'"{SENTENCES[i]}","{SENTENCES[(i + 1) % n]}","{SENTENCES[(i + 2) % n]}"\n' for i in range(n)))
    else:  # one sentence a line, as wiki1m_for_simcse.txt
        path = folder / "wiki.txt"
        path.write_text("\n".join(SENTENCES * 2) + "\n")
    return [f"data.path={path}", "data.batch_size=8", "data.num_workers=0"]


@pytest.mark.parametrize("recipe", RECIPES)
def test_recipe_fast_dev_run_on_tiny_random(recipe, tmp_path):
    paper = compose_config([f"experiment={recipe}"], tmp_path)
    swaps = ["backbone=tiny_random", f"cache_dir={tmp_path / 'cache'}", "logger=none", "trainer.fast_dev_run=true",
             *local_data(paper, tmp_path / "data")]
    if paper.sampler._target_.endswith("KnnSampler"):
        swaps.append("sampler.k=4")  # k must stay below the tiny batch of 8
    cfg = compose_config([f"experiment={recipe}", *swaps], tmp_path / "run")
    # only the backbone, the data file and the batch size changed: the method is the recipe's
    for key in ("model", "loss", "sampler"):
        kept = {k: v for k, v in cfg[key].items() if k != "k"}
        assert kept == {k: v for k, v in paper[key].items() if k != "k"}, key
    assert cfg.data._target_ == paper.data._target_ and cfg.data.max_length == paper.data.max_length
    assert cfg.run_name == recipe
    train(cfg)
    assert (tmp_path / "run" / "config.yaml").is_file()
