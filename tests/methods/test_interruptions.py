"""Signals, crashes while writing checkpoints, non-finite losses."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest
import torch
from lightning.pytorch.plugins.io import TorchCheckpointIO
from safetensors.torch import load_file

from conftest import compose_config
from sentemb.bases import LossBase
from sentemb.checkpointing import AtomicCheckpointIO
from sentemb.methods.faults import NonFiniteLossError
from sentemb.paths import PROJECT_ROOT
from sentemb.train import train

RUN_ARGS = ["trainer.max_steps=40", "trainer.max_epochs=-1", "callbacks.checkpoint.every_n_train_steps=1",
            "~callbacks.sts_dev", "eval=align_uniform"]


def launch(overrides: list[str], out, resume=None) -> subprocess.Popen:
    args = [sys.executable, "-m", "sentemb.run", *overrides, *RUN_ARGS, f"hydra.run.dir={out}"]
    if resume:
        args.append(f"resume={resume}")
    return subprocess.Popen(args, cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})


@pytest.mark.slow
def test_sigterm_saves_and_resume_matches_uninterrupted_run(tiny_overrides, tmp_path):
    reference = launch(tiny_overrides, tmp_path / "full")
    assert reference.wait(timeout=600) == 0, reference.stdout.read()

    victim = launch(tiny_overrides, tmp_path / "killed")
    ckpt = tmp_path / "killed" / "checkpoints" / "last.ckpt"
    deadline = time.time() + 300
    while not ckpt.exists() and victim.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    victim.send_signal(signal.SIGTERM)
    output = victim.communicate(timeout=300)[0]
    assert victim.returncode == 143, output
    assert "resume=" in output and not (tmp_path / "killed" / "results.json").exists()
    step = torch.load(ckpt, weights_only=True)["global_step"]
    assert 0 < step < 40

    resumed = launch(tiny_overrides, tmp_path / "resumed", resume=tmp_path / "killed")
    assert resumed.wait(timeout=600) == 0, resumed.stdout.read()
    want = load_file(str(tmp_path / "full" / "model" / "model.safetensors"))
    got = load_file(str(tmp_path / "resumed" / "model" / "model.safetensors"))
    for name in want:
        assert (want[name] - got[name]).abs().max() <= 1e-6, name


def test_interrupted_checkpoint_write_keeps_the_previous_one(tmp_path, monkeypatch):
    io = AtomicCheckpointIO()
    path = tmp_path / "last.ckpt"
    io.save_checkpoint({"step": 1, "w": torch.ones(3)}, path)

    def dying_save(self, checkpoint, tmp_path_, storage_options=None):
        with open(tmp_path_, "wb") as fh:  # half a file, then the "crash"
            fh.write(b"PK\x03\x04 partial checkpoint bytes")
        raise OSError("disk full")

    monkeypatch.setattr(TorchCheckpointIO, "save_checkpoint", dying_save)
    with pytest.raises(OSError, match="disk full"):
        io.save_checkpoint({"step": 2, "w": torch.zeros(3)}, path)
    monkeypatch.undo()
    loaded = io.load_checkpoint(path)
    assert loaded["step"] == 1 and torch.equal(loaded["w"], torch.ones(3))
    assert sorted(p.name for p in tmp_path.iterdir()) == ["last.ckpt"]


def test_checkpoints_load_without_unpickling_objects(tmp_path):
    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned",))

    torch.save({"x": Evil()}, tmp_path / "evil.ckpt")
    with pytest.raises(Exception, match="(?i)weights.only|unsupported global"):
        AtomicCheckpointIO().load_checkpoint(tmp_path / "evil.ckpt")


class NaNLoss(LossBase):
    def __init__(self, **settings):  # takes (and ignores) the loss group's settings
        super().__init__()

    def forward(self, pairs):
        return pairs.anchors.sum() * float("nan")


def test_nan_loss_stops_with_step_and_sentences(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "loss._target_=" + __name__ + ".NaNLoss",
                          "trainer.max_steps=3", "callbacks=none", "eval=align_uniform"], tmp_path / "run")
    with pytest.raises(NonFiniteLossError, match=r"(?s)loss is nan at step 0.*\[0\] '.+'"):
        train(cfg)
    assert not (tmp_path / "run" / "results.json").exists()


def test_nan_loss_can_be_skipped_and_counted(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "loss._target_=" + __name__ + ".NaNLoss",
                          "trainer.max_steps=3", "callbacks=none", "eval=align_uniform",
                          "model.skip_nonfinite_loss=true", "trainer.max_epochs=1"], tmp_path / "run")
    train(cfg)
    assert (tmp_path / "run" / "results.json").exists()
