"""Every hardware option composes; the DDP ones add no flag a user must set; FSDP refuses CPU at start-up."""

from __future__ import annotations

import pytest

from conftest import CONF_DIR, compose_config
from sentemb.train import train

HARDWARE = sorted(p.stem for p in (CONF_DIR / "hardware").glob("*.yaml"))


@pytest.mark.parametrize("hardware", HARDWARE)
def test_hardware_option_composes_without_distributed_sampler(hardware, tmp_path, monkeypatch):
    monkeypatch.setenv("SLURM_GPUS_ON_NODE", "4")
    cfg = compose_config([f"hardware={hardware}"], tmp_path)
    assert cfg.trainer.use_distributed_sampler is False  # the data modules shard themselves


def test_fsdp_refuses_to_start_without_cuda(tiny_overrides, tmp_path):
    import torch

    if torch.cuda.is_available():
        pytest.skip("this machine has CUDA: FSDP may run")  # the GPU check script covers that case
    for extra in ([], ["trainer.accelerator=cpu"]):
        cfg = compose_config([*tiny_overrides, "hardware=fsdp", *extra], tmp_path / "run")
        with pytest.raises(ValueError, match="hardware=fsdp .*needs CUDA GPUs"):
            train(cfg)
        assert not (tmp_path / "run" / "config.yaml").exists()  # refused before anything is written


@pytest.mark.parametrize(("env", "rank"), [({}, 0), ({"LOCAL_RANK": "1"}, 1), ({"LOCAL_RANK": "0", "NODE_RANK": "1"}, 1_000_000),
                                           ({"RANK": "3", "LOCAL_RANK": "0"}, 3), ({"SLURM_PROCID": "2"}, 2)])
def test_launch_rank_reads_the_launchers_environment(env, rank, monkeypatch):
    from sentemb.distributed import launch_rank

    for key in ("RANK", "LOCAL_RANK", "NODE_RANK", "GROUP_RANK", "SLURM_PROCID"):
        monkeypatch.delenv(key, raising=False)
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert launch_rank() == rank
