"""Every option of every config group composes; fast_dev_run of the default and of every model option."""

from __future__ import annotations

import pytest
from hydra.utils import instantiate

from conftest import CONF_DIR, compose_config

GROUPS = sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name not in ("local", "hydra"))


# data options whose `path` is mandatory (???): a placeholder lets them compose
NEEDS_PATH = {"text_file": "/tmp/x.txt", "triplet_csv": "/tmp/x.csv", "labelled_csv": "/tmp/x.csv",
              "pair_csv": "/tmp/x.csv"}


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("group,option", [(g, o) for g in GROUPS for o in options(g)])
def test_every_option_composes(group, option, tmp_path):
    overrides = [f"{group}={option}"]
    if group == "data" and option in NEEDS_PATH:
        overrides.append(f"data.path={NEEDS_PATH[option]}")
    cfg = compose_config(overrides, tmp_path)
    assert cfg.model._target_ and cfg.trainer._target_ == "lightning.Trainer"
    # the node of each group resolves (interpolations, env defaults), Hub loads excepted
    from omegaconf import OmegaConf

    OmegaConf.to_container(cfg, resolve=True)


def test_loss_and_sampler_options_instantiate(tmp_path):
    for loss in options("loss"):
        cfg = compose_config([f"loss={loss}"], tmp_path)
        assert callable(instantiate(cfg.loss))
    for sampler in options("sampler"):
        cfg = compose_config([f"sampler={sampler}"], tmp_path)
        assert callable(instantiate(cfg.sampler))


def test_command_line_names_of_the_main_settings(tmp_path):
    cfg = compose_config(["loss.temperature=0.1", "model.pooling=mean", "trainer.max_steps=3"], tmp_path)
    assert cfg.loss.temperature == 0.1 and cfg.model.pooling == "mean" and cfg.trainer.max_steps == 3


@pytest.mark.parametrize("model,loss,sampler,data", [
    ("simcse_sup", "infonce", "in_batch", "nli_sample"),
    ("supcon", "supcon", "label", "banking77"),
    ("sbert", "sbert_softmax", "paired", "snli_pairs"),
    ("cosent", "cosent", "paired", "stsb_train"),
])
def test_model_defaults_and_command_line_overrides(model, loss, sampler, data, tmp_path):
    """A model yaml sets its default loss, sampler and data; the command line still overrides each."""
    cfg = compose_config([f"model={model}"], tmp_path)
    groups = {"loss": cfg.loss._target_, "sampler": cfg.sampler._target_, "data": cfg.data._target_}
    expected = compose_config([f"loss={loss}", f"sampler={sampler}", f"data={data}"], tmp_path)
    assert groups == {"loss": expected.loss._target_, "sampler": expected.sampler._target_,
                      "data": expected.data._target_}
    assert cfg.data.get("format") == expected.data.get("format")
    for order in (["loss=triplet", f"model={model}"], [f"model={model}", "loss=triplet"]):
        assert compose_config(order, tmp_path).loss._target_ == "sentemb.losses.triplet.TripletLoss"
    cfg = compose_config([f"model={model}", "sampler=in_batch", "data=text_file", "data.path=/tmp/x"], tmp_path)
    assert cfg.sampler._target_.endswith("InBatchSampler") and cfg.data._target_.endswith("TextDataModule")


@pytest.mark.parametrize("recipe", [o for o in options("experiment") if o.endswith("_base")])
def test_paper_recipes_train_the_whole_schedule(recipe, tmp_path):
    cfg = compose_config([f"experiment={recipe}"], tmp_path)
    assert cfg.trainer.max_steps == -1 and cfg.trainer.max_epochs >= 1


def test_default_job_is_the_quick_cpu_demo(tmp_path):
    default, demo = compose_config([], tmp_path), compose_config(["experiment=quick_cpu"], tmp_path)
    assert default.trainer.max_steps == demo.trainer.max_steps == 50
    assert default.model.name == demo.model.name == "simcse_unsup_mean" and default.trainer.accelerator == "cpu"
    assert default.model.pooling == "mean" and compose_config(["model=simcse_unsup"], tmp_path).model.pooling == (
        "cls_before_pooler")  # the paper recipe keeps its pooling
