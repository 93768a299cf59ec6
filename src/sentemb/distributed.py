"""Several processes (DDP): gathering embeddings with gradients, each process's share of the data, and the
parameters kept out of gradient reduction.

- `gather_with_grad`: N processes see N x the in-batch negatives, and the loss equals one process's on the
  whole batch.
- `rank_and_world` / `shard_global_batches`: the data modules' samplers cut every global batch of
  N x B examples into N consecutive shares of B, one per process (Lightning's DistributedSampler is not
  used: `trainer.use_distributed_sampler: false` in conf/config.yaml). The gathered batch of a step is then
  exactly the batch one process with batch size N x B would see.
- `prepare_processes` (called by `train`): refuses FSDP where it cannot run, and makes Lightning's DDP
  children of a Hydra job run that job (`hydra_child_command`), also inside a `-m` sweep;
  `end_processes` closes the process group after training, so a sweep's next job starts a new one.
- `freeze_own_parameters`: parameters a configuration never uses get no gradient, which DDP (without the
  slow `find_unused_parameters`) refuses; they are frozen instead (kept, saved, not trained).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence

import torch
import torch.distributed as dist
from torch import Tensor, nn


def initialized() -> bool:
    return dist.is_available() and dist.is_initialized()


def world_size() -> int:
    return dist.get_world_size() if initialized() else 1


def rank_and_world() -> tuple[int, int]:
    """(this process's rank, number of processes); (0, 1) outside a process group."""
    return (dist.get_rank(), dist.get_world_size()) if initialized() else (0, 1)


def gather_with_grad(tensor: Tensor) -> Tensor:
    """(B, ...) on each of N processes -> (N*B, ...) on every process, rank order, gradients flowing back.

    Every process then computes the same global loss; the backward of all_gather sums the gradients of
    all ranks into each rank's slice, and DDP's gradient averaging divides by N, so parameter gradients
    equal those of one process holding the whole batch. B must be the same on every process (the
    samplers of `sentemb.data` guarantee it).
    """
    if world_size() == 1:
        return tensor
    from torch.distributed.nn.functional import all_gather

    return _ContiguousGrad.apply(torch.cat(all_gather(tensor.contiguous()), dim=0))


class _ContiguousGrad(torch.autograd.Function):
    """Identity whose backward makes the incoming gradient contiguous. all_gather's backward exchanges the
    gradient slices with gloo/NCCL, which read raw memory: a gradient that arrives transposed (SupCon's
    sampler flattens (N*B, V, D) view by view) was exchanged scrambled, and the encoder's gradients were
    wrong while the loss was right."""

    @staticmethod
    def forward(ctx, x: Tensor) -> Tensor:
        return x.view_as(x)

    @staticmethod
    def backward(ctx, grad: Tensor) -> Tensor:
        return grad.contiguous()


def gather_no_grad(tensor: Tensor) -> Tensor:
    """(B, ...) -> (N*B, ...) without gradients (labels, indices)."""
    if world_size() == 1:
        return tensor
    parts = [torch.empty_like(tensor) for _ in range(world_size())]
    dist.all_gather(parts, tensor.contiguous())
    return torch.cat(parts, dim=0)


def gather_objects(obj) -> list:
    """One picklable object per process -> the list of every process's, in rank order (all ranks)."""
    if world_size() == 1:
        return [obj]
    out: list = [None] * world_size()
    dist.all_gather_object(out, obj)
    return out


def any_rank(flag: bool) -> bool:
    """True on every process when `flag` is True on at least one (a collective: call it on all ranks)."""
    if world_size() == 1:
        return bool(flag)
    t = torch.tensor([int(bool(flag))])
    if dist.get_backend() == "nccl":
        t = t.cuda()
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item())


def shard_global_batches(global_batches: Sequence[Sequence[int]], rank: int, world: int,
                         unit: int = 1) -> list[list[int]]:
    """Global batches (index lists of up to N x B rows) -> this rank's share of each: rank r takes the r-th
    of N equal consecutive slices, in units of `unit` rows (label groups stay whole). A global batch whose
    units do not split evenly loses its last few units (at most N - 1); one with fewer than N units is
    dropped. Every rank gets the same number of batches, each of the same size as the other ranks'.
    """
    if world == 1:
        return [list(b) for b in global_batches if len(b)]
    shares = []
    for batch in global_batches:
        per_rank = (len(batch) // unit) // world * unit
        if per_rank:
            shares.append(list(batch[rank * per_rank:(rank + 1) * per_rank]))
    return shares


def freeze_own_parameters(module: nn.Module, shared_with: nn.Module) -> None:
    """requires_grad=False on `module`'s parameters that are not also `shared_with`'s (e.g. an MLM head whose
    decoder is tied to the encoder's word embeddings keeps the embeddings trainable)."""
    shared = {id(p) for p in shared_with.parameters()}
    for p in module.parameters():
        if id(p) not in shared:
            p.requires_grad_(False)


def launch_rank() -> int:
    """This process's global rank as its launcher set it, known before the process group starts: RANK
    (torchrun), LOCAL_RANK on node NODE_RANK (Lightning's DDP children; a node other than 0 counts as not
    rank 0), SLURM_PROCID (srun); 0 for a single process."""
    env = os.environ
    if "RANK" in env:
        return int(env["RANK"])
    node = int(env.get("NODE_RANK") or env.get("GROUP_RANK") or 0)
    if "LOCAL_RANK" in env or node:
        local = int(env.get("LOCAL_RANK") or 0)
        return local if node == 0 else node * 1_000_000 + local
    return int(env.get("SLURM_PROCID") or 0)


def check_hardware(trainer_cfg) -> None:
    """Refuse at start-up what cannot run here, saying so: FSDP shards over CUDA devices (NCCL) only."""
    strategy = trainer_cfg.get("strategy")
    target = strategy.get("_target_", "") if hasattr(strategy, "get") else str(strategy or "")
    if "fsdp" not in target.lower():
        return
    if trainer_cfg.get("accelerator") == "cpu" or not torch.cuda.is_available():
        raise ValueError("hardware=fsdp (lightning FSDPStrategy) needs CUDA GPUs and this process has "
                         f"{'trainer.accelerator=cpu' if trainer_cfg.get('accelerator') == 'cpu' else 'none'}: "
                         "FSDP shards parameters over NCCL and has no CPU mode here. Use hardware=ddp_cpu to run "
                         "several processes on CPU, or hardware=ddp / gpu on a GPU machine.")


HYDRA_FLAGS_WITH_VALUE = ("--config-dir", "-cd", "--config-path", "-cp", "--config-name", "-cn")


def hydra_child_command(local_rank: int) -> tuple[list[str], str]:
    """The command and folder of a DDP child process started by Lightning from inside a Hydra job.

    Lightning's own version repeats the parent's command line with `hydra.run.dir` set: inside a `-m` sweep
    (or a config that sets `hydra.mode: MULTIRUN`, e.g. sweep=tau_k) the child would run the whole sweep
    again, into the wrong folder. This one runs exactly the parent's job: its task overrides, its output
    folder, in RUN mode, with the parent's --config-dir/--config-name and `hydra.searchpath`.
    """
    from hydra.core.hydra_config import HydraConfig
    from hydra.utils import get_original_cwd, to_absolute_path

    import __main__

    hc = HydraConfig.get()
    spec = getattr(__main__, "__spec__", None)
    command = [sys.executable, "-m", spec.name] if spec is not None else [sys.executable,
                                                                         to_absolute_path(sys.argv[0])]
    argv = sys.argv[1:]
    for i, arg in enumerate(argv):
        if arg in HYDRA_FLAGS_WITH_VALUE and i + 1 < len(argv):
            command += [arg, argv[i + 1]]
        elif arg.startswith(tuple(f + "=" for f in HYDRA_FLAGS_WITH_VALUE)):
            command.append(arg)
    command += [o for o in hc.overrides.hydra if o.startswith("hydra.searchpath")]
    command += list(hc.overrides.task)
    command += [f"hydra.run.dir={hc.runtime.output_dir}", f"hydra.job.name=train_ddp_process_{local_rank}",
                "hydra.output_subdir=null", "hydra.mode=RUN"]
    return command, get_original_cwd()


def prepare_processes(trainer_cfg) -> None:
    """Before a run builds its trainer: refuse what cannot run here (`check_hardware`) and let Lightning start
    DDP children with `hydra_child_command` (the name it calls, in its launcher module, is replaced)."""
    check_hardware(trainer_cfg)
    from lightning.pytorch.strategies.launchers import subprocess_script

    subprocess_script._hydra_subprocess_cmd = hydra_child_command
    _LAUNCH_ENV.clear()
    _LAUNCH_ENV.update({k: os.environ.get(k) for k in LAUNCH_ENV_KEYS})


# What Lightning's launcher writes into the launching process's environment; left there, the next job of a
# sweep would believe its processes were started externally (LOCAL_RANK set) and wait for children forever.
LAUNCH_ENV_KEYS = ("MASTER_ADDR", "MASTER_PORT", "NODE_RANK", "LOCAL_RANK", "WORLD_SIZE")
_LAUNCH_ENV: dict[str, str | None] = {}


def end_processes() -> None:
    """Once training is over (every rank): close the process group and give the environment back as it was
    before the run, so a sweep's next job in the same process starts its own group and children."""
    if initialized():
        dist.destroy_process_group()
    for key, value in _LAUNCH_ENV.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
