"""Issue 25: a truncated, corrupt or foreign checkpoint given to `resume=` is refused before training, naming the
file, what was found and the last good checkpoint beside it."""

from __future__ import annotations

import os
import time

import pytest
import torch

from conftest import compose_config
from sentemb.checkpointing import check_checkpoint
from sentemb.errors import CheckpointError
from sentemb.train import train
from sentemb.training.build import resolve_resume


def lightning_like(path, step=3, keys=("encoder.w",)):
    torch.save({"state_dict": {k: torch.zeros(256) for k in keys}, "global_step": step,
                "pytorch-lightning_version": "2.0"}, path)
    return path


def truncate(path):
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def test_truncated_checkpoint_is_refused_naming_it_and_the_last_good_one(tmp_path):
    good = lightning_like(tmp_path / "step=2.ckpt", step=2)
    past = time.time() - 60
    os.utime(good, (past, past))
    bad = truncate(lightning_like(tmp_path / "last.ckpt"))
    with pytest.raises(CheckpointError) as info:
        check_checkpoint(bad)
    message = str(info.value)
    assert f"'{bad}'" in message and "truncated or corrupt" in message
    assert f"the last good checkpoint is '{good}': resume={good}" in message
    check_checkpoint(good)  # the good one passes


def test_truncated_checkpoint_alone_says_there_is_no_other(tmp_path):
    bad = truncate(lightning_like(tmp_path / "last.ckpt"))
    with pytest.raises(CheckpointError, match="no other usable checkpoint beside it; remove resume="):
        check_checkpoint(bad)


def test_garbage_and_foreign_files_are_refused(tmp_path):
    garbage = tmp_path / "garbage.ckpt"
    garbage.write_bytes(b"not a checkpoint at all")
    with pytest.raises(CheckpointError, match=r"garbage\.ckpt' cannot be read"):
        check_checkpoint(garbage)
    weights_only = tmp_path / "pytorch_model.ckpt"
    torch.save({"embeddings.weight": torch.zeros(4)}, weights_only)  # a bare state dict, not Lightning's
    with pytest.raises(CheckpointError, match=r"is not a Lightning training checkpoint \(found \['embeddings"):
        check_checkpoint(weights_only)
    other_model = lightning_like(tmp_path / "other.ckpt", keys=("encoder.a", "encoder.b"))
    with pytest.raises(CheckpointError, match=r"holds the weights of another model \(1 of this run's weights "
                                              r"missing, e\.g\. \['encoder\.w'\]; 2 unknown"):
        check_checkpoint(other_model, expected_keys={"encoder.w"})


def test_resume_from_a_truncated_last_checkpoint_of_a_run_folder(tiny_overrides, tmp_path):
    """Through train(): the run folder's checkpoints/last.ckpt is cut; nothing trains, the message names it."""
    run = tmp_path / "run"
    (run / "checkpoints").mkdir(parents=True)
    last = truncate(lightning_like(run / "checkpoints" / "last.ckpt"))
    cfg = compose_config([*tiny_overrides, "trainer.max_steps=2", "callbacks=none", f"resume={run}"],
                         tmp_path / "out")
    with pytest.raises(CheckpointError, match=f"resume: the checkpoint '{last}' cannot be read"):
        train(cfg)
    assert not (tmp_path / "out" / "results.json").exists()
    assert resolve_resume(None) is None
