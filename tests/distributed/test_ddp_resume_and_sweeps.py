"""DDP runs through `python -m sentemb.run hardware=ddp_cpu`: resuming restores every process's data position and
random state (a killed and resumed run ends with an uninterrupted run's weights, dropout on); a SIGTERM to one
process stops both at the same step with a resumable checkpoint; a `-m` sweep runs every job."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch
from ddp_runs import HERE, assert_same_weights, launch, rank_weights, run, tiny_ddp_overrides

from sentemb.paths import PROJECT_ROOT

STEPS = 8  # 36 sentences, 2 x 4 a step: 5 batches an epoch (the last of 2 + 2), so step 6 is mid second epoch


def overrides(tmp_path: Path, steps: int = STEPS) -> list[str]:
    return [*tiny_ddp_overrides(tmp_path, steps), "callbacks.checkpoint.every_n_train_steps=1"]


def test_resumed_ddp_run_ends_with_the_weights_of_an_uninterrupted_one(tmp_path):
    base = overrides(tmp_path)
    run(base, tmp_path / "full")
    crash = ["+callbacks.crash._target_=ddp_callbacks.CrashAt", "+callbacks.crash.at=6"]
    output = run([*base, *crash], tmp_path / "killed", fails=True)
    assert "simulated crash" in output
    assert torch.load(tmp_path / "killed" / "checkpoints" / "last.ckpt", weights_only=True)["global_step"] == 6
    run([*base, f"resume={tmp_path / 'killed'}"], tmp_path / "resumed")
    full, resumed = rank_weights(tmp_path / "full"), rank_weights(tmp_path / "resumed")
    for rank in (0, 1):
        assert_same_weights(full[rank], resumed[rank])


def child_of(pid: int, timeout: float = 120) -> int:
    """The pid of the DDP process that the run `pid` started (rank 1)."""
    deadline = time.time() + timeout
    while time.time() < deadline:
        for stat in Path("/proc").glob("[0-9]*/stat"):
            try:
                fields = stat.read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == pid:
                return int(stat.parent.name)
        time.sleep(0.2)
    raise AssertionError(f"no child process of {pid}")


@pytest.mark.slow
def test_sigterm_to_one_rank_stops_both_with_a_resumable_checkpoint(tmp_path):
    base = overrides(tmp_path, steps=400)
    victim = launch(base, tmp_path / "killed")
    ckpt = tmp_path / "killed" / "checkpoints" / "last.ckpt"
    rank1 = child_of(victim.pid)
    deadline = time.time() + 300
    while not ckpt.exists() and victim.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    os.kill(rank1, signal.SIGTERM)
    output = victim.communicate(timeout=300)[0]
    assert victim.returncode == 143, output[-4000:]
    assert "resume=" in output and not (tmp_path / "killed" / "results.json").exists()
    step = torch.load(ckpt, weights_only=True)["global_step"]
    assert 0 < step < 400
    resumed = run([*overrides(tmp_path, steps=step + 2), f"resume={tmp_path / 'killed'}"], tmp_path / "resumed")
    assert json.loads((tmp_path / "resumed" / "results.json").read_text())["global_step"] == step + 2, resumed


def test_multirun_sweep_runs_every_job(tmp_path):
    sweep = tmp_path / "sweep"
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "src"), str(HERE), os.environ.get("PYTHONPATH", "")])}
    weights = ["+callbacks.rank_weights._target_=ddp_callbacks.SaveRankWeights",
               "+callbacks.rank_weights.folder=${output_dir}/rank_weights"]
    proc = subprocess.run([sys.executable, "-m", "sentemb.run", "-m", *tiny_ddp_overrides(tmp_path), *weights,
                           "model.lr=1e-5,3e-3", f"hydra.sweep.dir={sweep}", "hydra.sweep.subdir=${hydra.job.num}"],
                          cwd=PROJECT_ROOT, capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-6000:]
    for job in ("0", "1"):
        results = json.loads((sweep / job / "results.json").read_text())
        assert results["global_step"] == 2, job
        ranks = rank_weights(sweep / job)  # each job's second process ran that job (its learning rate)
        assert_same_weights(ranks[0], ranks[1], atol=1e-7)
    assert (proc.stdout + proc.stderr).count("results: ") == 2
