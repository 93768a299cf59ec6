"""Shared fixtures: config composition over conf/, a tiny corpus, the tiny random backbone."""

from __future__ import annotations

from pathlib import Path

import pytest
from hydra import compose, initialize_config_dir
from omegaconf import DictConfig, open_dict

import sentemb.conf_resolvers  # noqa: F401
from sentemb.paths import conf_dir, data_dir

CONF_DIR = conf_dir()

SENTENCES = [
    "A man is playing a guitar.",
    "A woman is slicing an onion.",
    "Two dogs run across the field.",
    "The stock market fell sharply today.",
    "A child is riding a bicycle down the street.",
    "The committee approved the new budget on Monday.",
    "Scientists discovered a new species of frog.",
    "He cooked pasta for dinner.",
    "The train was delayed by snow.",
    "She is reading a book in the park.",
    "A cat sleeps on the warm windowsill.",
    "The band played until midnight.",
]


def compose_config(overrides: list[str], output_dir: Path, config_name: str = "config") -> DictConfig:
    """Compose conf/<config_name>.yaml with `overrides`; output_dir points at a test folder."""
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        cfg = compose(config_name=config_name, overrides=overrides)
    with open_dict(cfg):
        cfg.output_dir = str(output_dir)
    return cfg


@pytest.fixture
def tiny_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "corpus.txt"
    path.write_text("\n".join(SENTENCES * 3) + "\n\n   \n")
    return path


@pytest.fixture
def tiny_overrides(tiny_corpus: Path, tmp_path: Path) -> list[str]:
    """Overrides for a seconds-long run: tiny random BERT, tiny corpus, cache in tmp, no logger."""
    return [
        "backbone=tiny_random",
        "data=text_file",
        f"data.path={tiny_corpus}",
        "data.batch_size=8",
        f"cache_dir={tmp_path / 'cache'}",
        "logger=none",
    ]


@pytest.fixture(scope="session")
def tiny_backbone_factory():
    from sentemb.encoder.backbone import tiny_random_backbone
    from sentemb.paths import minilm_path

    def make(seed: int = 0):
        import torch

        torch.manual_seed(seed)
        return tiny_random_backbone(minilm_path(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                    intermediate_size=64)

    return make


@pytest.fixture(scope="session")
def shared_data_dir() -> Path:
    path = data_dir()
    if not (path / "en").is_dir():
        pytest.fail(f"the shared data folder is missing at {path}: set SENTEMB_DATA_DIR")
    return path
