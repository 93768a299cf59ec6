"""Acceptance (slow): a two-run sweep with logger=wandb (offline) gives two W&B run folders, each run folder its
alignment/uniformity PNG, and `sentemb.report` on the sweep folder a table and PNGs that open."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from sentemb.paths import PROJECT_ROOT


@pytest.mark.slow
def test_two_run_wandb_sweep_and_report(tmp_path: Path, tiny_corpus: Path) -> None:
    sweep = tmp_path / "sweep"
    env = {**os.environ, "WANDB_MODE": "offline", "WANDB_SILENT": "true", "SENTEMB_CACHE_DIR": str(tmp_path / "c")}
    env.pop("WANDB_API_KEY", None)
    subprocess.run([sys.executable, "-m", "sentemb.run", "-m", "backbone=tiny_random", "trainer.max_steps=2",
                    "logger=wandb", "loss.temperature=0.05,0.1", "data=text_file", f"data.path={tiny_corpus}",
                    "data.batch_size=8", "eval.sts.tasks=[STSBenchmark]", "callbacks.sts_dev.every_n_steps=1",
                    "save_model=false", f"hydra.sweep.dir={sweep}"],
                   check=True, cwd=PROJECT_ROOT, env=env, timeout=1200)
    jobs = sorted(p.parent for p in sweep.rglob("results.json"))  # data.path=/... nests the job folders
    assert len(jobs) == 2
    for job in jobs:
        assert len(list((job / "wandb").glob("offline-run-*"))) == 1
        assert (job / "results.json").is_file() and mpimg.imread(job / "align_uniform.png").ndim == 3
    out = subprocess.run([sys.executable, "-m", "sentemb.report", str(sweep)], check=True, cwd=PROJECT_ROOT,
                         env=env, capture_output=True, text=True, timeout=600).stdout
    assert "loss.temperature=0.05" in out and "loss.temperature=0.1" in out
    table = (sweep / "report.md").read_text()
    assert "| run | stsb_spearman | align | uniform |" in table and "**" in table
    for png in ("report_scores.png", "report_align_uniform.png", "report_sweep.png"):
        assert mpimg.imread(sweep / png).shape[0] > 100
