"""DDP gathering with length-sorted sub-batches: two gloo processes, each embedding its half of the batch in
sub-batches, give the loss and (all-reduced) gradients of one process embedding the whole batch in one
forward pass (dropout off)."""

from __future__ import annotations

import os

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from test_gather_ddp import free_port, loss_and_grads  # the same exact-gradient step, gathered

from sentemb.encoder.backbone import tiny_random_backbone
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.paths import minilm_path
from sentemb.samplers.in_batch import InBatchSampler

# lengths from 4 to 26 tokens, so each half splits into several chunks
SENTENCES = [" ".join(["word"] * (2 + (5 * i) % 23)) + f" {i}" for i in range(12)]


def build_module(sub_batches) -> ContrastiveModule:
    torch.manual_seed(0)
    backbone = tiny_random_backbone(minilm_path(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                    intermediate_size=64)
    return ContrastiveModule(backbone, InfoNCELoss(0.05), InBatchSampler(), pooling="mean",
                             sub_batches=sub_batches).eval()


def worker(rank: int, world: int, port: int, out_dir: str) -> None:
    import sentemb.encoder.subbatch as subbatch

    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    chunks = []
    original = subbatch.length_sorted_chunks
    subbatch.length_sorted_chunks = lambda mask, rule: chunks.append(len(original(mask, rule))) or original(mask, rule)
    half = len(SENTENCES) // world
    loss, grads = loss_and_grads(build_module(3), SENTENCES[rank * half : (rank + 1) * half])
    for g in grads:  # what DDP does to parameter gradients
        dist.all_reduce(g)
        g /= world
    if rank == 0:
        torch.save({"loss": loss, "grads": grads, "chunks": chunks}, os.path.join(out_dir, "ddp_sub.pt"))
    dist.destroy_process_group()


def test_two_sub_batched_processes_match_one_whole_batch(tmp_path):
    mp.spawn(worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    full_loss, full_grads = loss_and_grads(build_module(None), SENTENCES)
    got = torch.load(tmp_path / "ddp_sub.pt", weights_only=True)
    assert got["chunks"] == [3]  # rank 0's half was split
    assert got["loss"] == pytest.approx(full_loss, abs=1e-5)
    for g, want in zip(got["grads"], full_grads, strict=True):
        torch.testing.assert_close(g, want, atol=1e-5, rtol=1e-4)
