"""Extending sentemb from outside the package: a config folder on Hydra's searchpath adds group options, a class
of the user's plugs in through `_target_` (examples/custom_loss), and sentemb's own pieces meet the written
contracts (sentemb.contracts)."""

from __future__ import annotations

import csv
import math
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import torch
import yaml
from hydra.utils import get_class, instantiate

from conftest import CONF_DIR, SENTENCES, compose_config
from sentemb.contracts import (
    AuxiliaryObjective,
    BatchBuilder,
    ContrastivePairs,
    Evaluator,
    EvaluatorBase,
    Loss,
    Sampler,
)
from sentemb.paths import checkout_root

EXAMPLE = checkout_root() / "examples" / "custom_loss"


def _options(group: str) -> list[str]:
    return sorted(p.stem for p in (CONF_DIR / group).glob("*.yaml"))


@pytest.fixture
def user_folder(tmp_path: Path) -> Path:
    """The example copied to a folder outside the package (its conf/ and my_losses.py), plus a corpus."""
    folder = tmp_path / "my_project"
    shutil.copytree(EXAMPLE, folder, ignore=shutil.ignore_patterns("__pycache__"))
    (folder / "corpus.txt").write_text("\n".join(SENTENCES * 2) + "\n")
    return folder


def _load_example_loss(folder: Path):
    sys.path.insert(0, str(folder))
    try:
        sys.modules.pop("my_losses", None)
        import my_losses
    finally:
        sys.path.remove(str(folder))
    return my_losses.AdditiveMarginInfoNCE


def test_searchpath_and_target_train_two_steps_through_the_entry_point(user_folder: Path, tmp_path: Path):
    """`python -m sentemb.run hydra.searchpath=[file://conf] experiment=am_simcse_demo` from the user's folder:
    the experiment and the loss option come from that folder, the class from its my_losses.py."""
    run_dir = tmp_path / "run"
    args = [sys.executable, "-m", "sentemb.run", "hydra.searchpath=[file://conf]", "experiment=am_simcse_demo",
            "backbone=tiny_random", "data=text_file", f"data.path={user_folder / 'corpus.txt'}", "data.batch_size=4",
            "trainer.max_steps=2", "trainer.log_every_n_steps=1", "eval=align_uniform", f"cache_dir={tmp_path / 'cache'}",
            f"hydra.run.dir={run_dir}"]
    env = {k: v for k, v in os.environ.items() if k != "SENTEMB_CONFIG_PATH"}
    done = subprocess.run(args, cwd=user_folder, env=env, capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-4000:]
    config = yaml.safe_load((run_dir / "config.yaml").read_text())
    assert config["loss"] == {"_target_": "my_losses.AdditiveMarginInfoNCE", "temperature": 0.05, "margin": 0.1}
    assert config["run_name"] == "am_simcse"
    metrics_file = next(run_dir.rglob("metrics.csv"))
    rows = [r for r in csv.DictReader(metrics_file.open()) if r.get("train/loss")]
    assert [int(r["step"]) for r in rows] == [0, 1], "two training steps, each logged"
    shares = [float(r["train/am_within_margin"]) for r in rows]  # the loss's own statistic reached the logger
    assert all(0.0 <= s <= 1.0 for s in shares)
    assert (run_dir / "results.json").is_file() and (run_dir / "model").is_dir()


def test_sentemb_config_path_adds_group_options(user_folder: Path, tmp_path: Path, monkeypatch):
    monkeypatch.setenv("SENTEMB_CONFIG_PATH", str(user_folder / "conf"))
    cfg = compose_config(["loss=am_infonce", "loss.margin=0.2"], tmp_path)
    assert cfg.loss._target_ == "my_losses.AdditiveMarginInfoNCE" and cfg.loss.margin == 0.2
    monkeypatch.setenv("SENTEMB_CONFIG_PATH", str(tmp_path / "missing"))
    with pytest.raises(Exception) as error:
        compose_config([], tmp_path)
    chain, err = [], error.value
    while err is not None:  # Hydra wraps the resolver's error
        chain.append(str(err))
        err = err.__cause__ or err.__context__
    assert any("SENTEMB_CONFIG_PATH names" in m and "missing" in m and "not a folder" in m for m in chain), chain


def test_example_loss_against_a_naive_reference(user_folder: Path):
    loss_cls = _load_example_loss(user_folder)
    torch.manual_seed(0)
    n, d, tau, margin = 5, 8, 0.1, 0.3
    anchors, candidates = torch.randn(n, d), torch.randn(2 * n, d)  # positives first, then hard negatives
    positive = torch.zeros(n, 2 * n, dtype=torch.bool)
    positive[:, :n] = torch.eye(n, dtype=torch.bool)
    pairs = ContrastivePairs(anchors, candidates, positive)
    loss = loss_cls(temperature=tau, margin=margin)
    assert isinstance(loss, Loss)
    got = loss(pairs)
    expected = 0.0
    for i in range(n):
        cos = [float(torch.nn.functional.cosine_similarity(anchors[i], candidates[j], dim=0)) for j in range(2 * n)]
        logits = [(c - margin * (j == i)) / tau for j, c in enumerate(cos)]
        expected += -(logits[i] - math.log(sum(math.exp(x) for x in logits)))
    assert float(got) == pytest.approx(expected / n, rel=1e-5)
    assert 0.0 <= pairs.stats["am_within_margin"] <= 1.0
    with pytest.raises(ValueError, match="loss.margin"):
        loss_cls(margin=-0.1)


@pytest.mark.parametrize("loss", _options("loss"))
def test_every_loss_option_meets_the_loss_contract(loss: str, tmp_path: Path):
    cfg = compose_config(["backbone=tiny_random", f"loss={loss}"], tmp_path)
    assert isinstance(instantiate(cfg.loss), Loss)


@pytest.mark.parametrize("sampler", _options("sampler"))
def test_every_sampler_option_meets_the_sampler_contract(sampler: str, tmp_path: Path):
    cfg = compose_config(["backbone=tiny_random", f"sampler={sampler}"], tmp_path)
    assert isinstance(instantiate(cfg.sampler), Sampler)


@pytest.mark.parametrize("model", _options("model"))
def test_every_model_option_builds_batches_and_objectives_by_contract(model: str, tmp_path: Path):
    from transformers import AutoTokenizer

    from sentemb.paths import minilm_path

    cfg = compose_config(["backbone=tiny_random", f"model={model}"], tmp_path)
    if cfg.model.get("batch_builder") is not None:
        builder = instantiate(cfg.model.batch_builder)(tokenizer=AutoTokenizer.from_pretrained(minilm_path()))
        assert isinstance(builder, BatchBuilder)
    for objective in (cfg.model.get("auxiliary") or {}).values():
        if objective is not None:
            assert isinstance(instantiate(objective), AuxiliaryObjective)


@pytest.mark.parametrize("option", _options("eval"))
def test_every_evaluator_class_meets_the_evaluator_contract(option: str):
    specs = yaml.safe_load((CONF_DIR / "eval" / f"{option}.yaml").read_text())
    assert specs
    for spec in specs.values():  # an evaluator subclasses the base that gives the contract's defaults
        cls = get_class(spec["_target_"])
        assert issubclass(cls, EvaluatorBase) and callable(cls.__call__)


def test_contracts_refuse_what_lacks_a_required_member():
    assert not isinstance(object(), Sampler) and not isinstance(object(), Evaluator)
    assert not isinstance(torch.nn.Identity(), AuxiliaryObjective)  # no `weight`
