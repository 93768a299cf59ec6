"""Two gloo processes with half a batch each == one process with the whole batch (gathered negatives)."""

from __future__ import annotations

import os
import socket

import pytest
import torch
import torch.distributed as dist
import torch.multiprocessing as mp

from sentemb.data.batches import DropoutPairBuilder
from sentemb.encoder.backbone import tiny_random_backbone
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.paths import minilm_path
from sentemb.samplers.in_batch import InBatchSampler

SENTENCES = [f"sentence number {i} about topic {i % 3} and more words {i * 7}" for i in range(8)]


def build_module(gather: bool) -> ContrastiveModule:
    torch.manual_seed(0)
    backbone = tiny_random_backbone(minilm_path(), hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                    intermediate_size=64)
    module = ContrastiveModule(backbone, InfoNCELoss(0.05), InBatchSampler(), pooling="mean",
                               gather_across_devices=gather)
    return module.eval()  # no dropout: the comparison is exact


def batch_of(module: ContrastiveModule, sentences: list[str]):
    rows = [{"input_ids": module.encoder.tokenizer(s)["input_ids"], "index": i} for i, s in enumerate(sentences)]
    return DropoutPairBuilder(module.encoder.tokenizer)(rows)


def loss_and_grads(module: ContrastiveModule, sentences: list[str]) -> tuple[float, list[torch.Tensor]]:
    module.zero_grad()
    embeddings, labels = module._gather(module.embed(batch_of(module, sentences)), None)
    loss = module.loss_fn(module.sampler(embeddings, labels))
    loss.backward()
    return loss.item(), [p.grad.clone() if p.grad is not None else torch.zeros_like(p) for p in module.parameters()]


def worker(rank: int, world: int, port: int, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    for gather in (True, False):
        module = build_module(gather)
        half = len(SENTENCES) // world
        loss, grads = loss_and_grads(module, SENTENCES[rank * half : (rank + 1) * half])
        for g in grads:  # what DDP does to parameter gradients
            dist.all_reduce(g)
            g /= world
        if rank == 0:
            torch.save({"loss": loss, "grads": grads}, os.path.join(out_dir, f"ddp_{int(gather)}.pt"))
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_two_processes_match_one_only_when_gathering(tmp_path):
    mp.spawn(worker, args=(2, free_port(), str(tmp_path)), nprocs=2, join=True)
    full_loss, full_grads = loss_and_grads(build_module(True), SENTENCES)

    gathered = torch.load(tmp_path / "ddp_1.pt", weights_only=True)
    assert gathered["loss"] == pytest.approx(full_loss, abs=1e-5)
    for got, want in zip(gathered["grads"], full_grads):
        torch.testing.assert_close(got, want, atol=1e-5, rtol=1e-4)

    local = torch.load(tmp_path / "ddp_0.pt", weights_only=True)
    assert abs(local["loss"] - full_loss) > 1e-3
    assert any(not torch.allclose(g, w, atol=1e-5) for g, w in zip(local["grads"], full_grads))
