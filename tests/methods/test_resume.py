"""A run killed after some steps and resumed ends with the same weights as an uninterrupted run."""

from __future__ import annotations

import lightning as L
import pytest
from omegaconf import open_dict
from safetensors.torch import load_file

from conftest import compose_config
from sentemb.train import train


class Crash(L.Callback):
    """Simulates a crash at the start of optimizer step `at` (after the checkpoint of step `at`)."""

    def __init__(self, at: int):
        self.at = at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        if trainer.global_step == self.at:
            raise RuntimeError("simulated crash")


def run(overrides, out, crash_at=None, resume=None):
    cfg = compose_config([*overrides, "trainer.max_steps=8", "trainer.max_epochs=-1", "callbacks.checkpoint.every_n_train_steps=1",
                          "~callbacks.sts_dev", "eval=align_uniform"], out)
    with open_dict(cfg):
        if crash_at is not None:
            cfg.callbacks.crash = {"_target_": f"{__name__}.Crash", "at": crash_at}
        cfg.resume = resume
    train(cfg)
    return load_file(str(out / "model" / "model.safetensors"))


@pytest.mark.parametrize("crash_at", [3, 6])  # mid first epoch; mid second epoch (5 batches an epoch)
def test_resumed_run_ends_with_the_same_weights(tiny_overrides, tmp_path, crash_at):
    reference = run(tiny_overrides, tmp_path / "full")
    with pytest.raises(RuntimeError, match="simulated crash"):
        run(tiny_overrides, tmp_path / "killed", crash_at=crash_at)
    resumed = run(tiny_overrides, tmp_path / "resumed", resume=str(tmp_path / "killed"))
    assert reference.keys() == resumed.keys()
    for name in reference:
        assert (reference[name] - resumed[name]).abs().max() <= 1e-6, name


class KeepModule(L.Callback):
    seen: dict = {}

    def on_fit_end(self, trainer, pl_module):  # after Lightning's teardown
        KeepModule.seen = {"module": pl_module, "trainer": trainer}


def test_optimizer_state_freed_after_training_but_kept_in_the_last_checkpoint(tiny_overrides, tmp_path):
    import torch

    cfg = compose_config([*tiny_overrides, "trainer.max_steps=3", "callbacks.checkpoint.every_n_train_steps=1",
                          "~callbacks.sts_dev", "eval=align_uniform"], tmp_path)
    with open_dict(cfg):
        cfg.callbacks.keep = {"_target_": f"{__name__}.KeepModule"}
    train(cfg)
    module, trainer = KeepModule.seen["module"], KeepModule.seen["trainer"]
    assert all(not opt.state for opt in trainer.optimizers)
    assert all(p.grad is None for p in module.parameters())
    checkpoints = sorted(tmp_path.rglob("*.ckpt"))
    assert checkpoints, "no checkpoint written"
    saved = torch.load(checkpoints[-1], map_location="cpu", weights_only=True)
    assert saved["optimizer_states"][0]["state"], "the checkpoint lost the optimizer state"


class GradsAtStepStart(L.Callback):
    seen: list = []

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx):
        GradsAtStepStart.seen.append(sum(p.grad is not None for p in pl_module.parameters()))


def test_gradients_are_freed_before_the_next_forward(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "trainer.max_steps=3", "~callbacks.sts_dev", "eval=align_uniform"], tmp_path)
    with open_dict(cfg):
        cfg.callbacks.grads = {"_target_": f"{__name__}.GradsAtStepStart"}
    GradsAtStepStart.seen = []
    train(cfg)
    assert GradsAtStepStart.seen == [0, 0, 0]


def test_callbacks_none_writes_no_checkpoint_and_default_writes_one(tiny_overrides, tmp_path):
    """Lightning adds a ModelCheckpoint of its own unless told not to; `callbacks=none` must write none."""
    for option, expected in (("none", []), ("default", ["last.ckpt"])):
        out = tmp_path / option
        extra = ["callbacks=none"] if option == "none" else ["~callbacks.sts_dev"]
        train(compose_config([*tiny_overrides, "trainer.max_steps=2", *extra, "eval=align_uniform"], out))
        assert sorted(p.name for p in out.rglob("*.ckpt")) == expected, option
