"""The same step, split: two gloo processes with B examples each (embeddings gathered with gradients) give
the loss and the gradients of one process with the 2B examples, for every main method, dropout off.

Each method runs as `train.build_module` builds it from the composed config, on rows its own data module
serves and its own batch builder collates (the whole batch is built once and cut by rows, so random masks
and augmentations are the same). DDP's part is done by hand: gradients averaged over the processes. Terms a
process computes on its own rows (ArcCSE's triplet term) are means over them, so the processes' average of
the loss is the whole batch's loss.
"""

from __future__ import annotations

import dataclasses
import os
import socket

import torch
import torch.distributed as dist
import torch.multiprocessing as mp
from ddp_runs import supervised_data, tiny_ddp_overrides
from hydra.utils import instantiate
from omegaconf import OmegaConf

from conftest import compose_config
from sentemb.data.batches import Batch

B = 4  # per process
CASES = {
    "simcse_unsup": ["model=simcse_unsup"],
    "simcse_sup": ["model=simcse_sup"],
    "supcon": ["model=supcon"],
    "arccse": ["model=arccse"],
    "vascl": ["model=vascl", "sampler.k=3"],  # neighbourhoods over the gathered 2B anchors
    "false_negative": ["model=simcse_unsup", "sampler=false_negative", "sampler.top_k=1"],
    "no_gather": ["model=simcse_unsup", "model.gather_across_devices=false"],  # control: must differ
}
NO_DROPOUT = ["+backbone.hidden_dropout_prob=0", "+backbone.attention_probs_dropout_prob=0",
              "+backbone.initializer_range=0.2"]  # distinct embeddings (at 0.02 they nearly coincide)


def configs(tmp_path) -> dict[str, dict]:
    data = supervised_data(tmp_path / "data")
    base = [o for o in tiny_ddp_overrides(tmp_path) if o not in ("hardware=ddp_cpu",)]
    out = {}
    for name, overrides in CASES.items():
        model = overrides[0].split("=", 1)[1]
        own = data.get(model, [])
        common = [o for o in base if not (own and o.startswith(("data=", "data.path=")))]
        cfg = compose_config([*common, *own, *overrides, *NO_DROPOUT], tmp_path / name)
        out[name] = OmegaConf.to_container(cfg, resolve=True)
    return out


def rows(batch: Batch, part: slice) -> Batch:
    """The rows `part` of every per-row tensor of `batch` (extra blocks included)."""
    def cut(value):
        if isinstance(value, dict):
            return {k: cut(v) for k, v in value.items()}
        return value[part] if isinstance(value, torch.Tensor) else value
    return Batch(**{f.name: cut(getattr(batch, f.name)) for f in dataclasses.fields(batch)})


def module_and_batch(config: dict):
    from sentemb.training.build import build_module

    cfg = OmegaConf.create(config)
    torch.manual_seed(0)
    module = build_module(cfg)
    data = instantiate(cfg.data, tokenizer=module.encoder.tokenizer, batch_builder=instantiate(cfg.model.batch_builder))
    data.setup()
    batch = data.collate([data.train_set[i] for i in range(2 * B)])
    return module, batch


def loss_and_grads(module, batch: Batch) -> tuple[float, dict[str, torch.Tensor]]:
    module.zero_grad(set_to_none=True)
    torch.manual_seed(1)  # random draws inside a loss (VaSCL's start direction) equal in every process
    loss = module.training_step(batch, 0)
    loss.backward()
    grads = {n: p.grad.detach().clone() for n, p in module.named_parameters() if p.requires_grad}
    assert all(g is not None for g in grads.values())
    return float(loss), grads


def worker(rank: int, world: int, port: int, configs_: dict, out_dir: str) -> None:
    os.environ.update(MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port))
    dist.init_process_group("gloo", rank=rank, world_size=world)
    torch.set_num_threads(1)
    results = {}
    for name, config in configs_.items():
        module, batch = module_and_batch(config)
        loss, grads = loss_and_grads(module, rows(batch, slice(rank * B, (rank + 1) * B)))
        loss_t = torch.tensor([loss])
        dist.all_reduce(loss_t)
        for g in grads.values():  # what DDP does to parameter gradients
            dist.all_reduce(g)
            g /= world
        results[name] = {"loss": float(loss_t) / world, "grads": grads}
    if rank == 0:
        torch.save(results, os.path.join(out_dir, "split.pt"))
    dist.destroy_process_group()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def relative_error(got: dict[str, torch.Tensor], want: dict[str, torch.Tensor]) -> float:
    """|got - want| / |want| over all parameters' gradients as one vector (float32 rounding differs between a
    batch of B and one of 2B; per parameter the ratio would be noise for gradients that are 0 in exact
    arithmetic, e.g. attention key biases)."""
    diff = torch.cat([(got[n] - g).flatten() for n, g in want.items()])
    return float(diff.norm() / torch.cat([g.flatten() for g in want.values()]).norm())


def test_two_processes_of_b_equal_one_of_2b(tmp_path):
    configs_ = configs(tmp_path)
    whole = {name: loss_and_grads(*module_and_batch(config)) for name, config in configs_.items()}  # fills the caches
    mp.spawn(worker, args=(2, free_port(), configs_, str(tmp_path)), nprocs=2, join=True)
    split = torch.load(tmp_path / "split.pt", weights_only=True)
    errors = {}
    for name, (loss, grads) in whole.items():
        got = split[name]
        assert got["grads"].keys() == grads.keys()
        errors[name] = (abs(got["loss"] - loss) / max(abs(loss), 1e-12), relative_error(got["grads"], grads))
    control = errors.pop("no_gather")
    assert min(control) > 1e-2, f"without gathering the split step should differ: {control}"
    for name, (loss_error, grad_error) in errors.items():
        assert loss_error < 1e-5 and grad_error < 1e-5, f"{name}: loss {loss_error:.2e}, gradients {grad_error:.2e}"
