"""W&B reporting in offline mode: config, summary table, plot, one run folder per job."""

from __future__ import annotations

from pathlib import Path

import pytest
from omegaconf import OmegaConf

from sentemb.evaluation.plots import plot_align_uniform
from sentemb.run_info import resolved_config
from sentemb.training.wandb_report import report_to_wandb


@pytest.mark.slow  # starting the wandb service takes 10-70 s here
def test_report_to_wandb_offline(tmp_path: Path, monkeypatch) -> None:
    pytest.importorskip("wandb")
    from lightning.pytorch.loggers import CSVLogger, WandbLogger

    monkeypatch.setenv("WANDB_MODE", "offline")  # restored after the test (WandbLogger sets it to dryrun)
    monkeypatch.setenv("WANDB_SILENT", "true")
    monkeypatch.delenv("WANDB_API_KEY", raising=False)
    plot_align_uniform({"run": [{"step": 1, "align": 0.2, "uniform": -2.0}]}, tmp_path / "align_uniform.png")
    cfg = resolved_config(OmegaConf.create({"loss": {"temperature": 0.05}, "run_name": "x", "ref": "${loss.temperature}"}))
    payload = {"metrics": {"val/stsb_spearman": 80.0, "test/sts_avg": 75.5}}
    assert report_to_wandb([CSVLogger(tmp_path)], cfg, payload, tmp_path) == []  # no W&B logger: nothing
    logger = WandbLogger(project="sentemb-test", save_dir=str(tmp_path), offline=True)
    logger.log_metrics({"val/align": 0.2}, step=1)
    run = logger.experiment
    dirs = report_to_wandb([logger], cfg, payload, tmp_path)
    assert len(dirs) == 1 and Path(dirs[0]).name.startswith("offline-run-") and Path(dirs[0]).parent == tmp_path / "wandb"
    assert run.config["sentemb"]["ref"] == 0.05  # the resolved config
    media = Path(dirs[0]) / "files" / "media"
    assert any((media / "images").rglob("*.png")) and any((media / "table").rglob("*.table.json"))
    assert logger._experiment is None  # finished: the next job of a multirun opens its own run
