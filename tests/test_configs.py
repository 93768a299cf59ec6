"""Every option of every config group composes; fast_dev_run of the default and of every model option."""

from __future__ import annotations

import pytest
from hydra.utils import instantiate

from conftest import CONF_DIR, compose_config

GROUPS = sorted(p.name for p in CONF_DIR.iterdir() if p.is_dir() and p.name not in ("local", "hydra"))


def options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


@pytest.mark.parametrize("group,option", [(g, o) for g in GROUPS for o in options(g)])
def test_every_option_composes(group, option, tmp_path):
    overrides = [f"{group}={option}"]
    if group == "data" and option == "text_file":
        overrides.append("data.path=/tmp/x.txt")
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
