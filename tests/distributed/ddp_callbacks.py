"""Callbacks for the DDP tests, loaded by the runs as `+callbacks.<name>._target_=ddp_callbacks.<Class>` (the
tests put this folder on PYTHONPATH)."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch


def trainable(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().clone() for n, p in module.named_parameters() if p.requires_grad}


class SaveRankWeights(L.Callback):
    """Every process saves its trainable weights when training ends (and rank 0 its weights before the first
    step), so a test can compare the processes after the steps."""

    def __init__(self, folder: str):
        self.folder = Path(folder)

    def on_train_start(self, trainer, pl_module) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if trainer.global_rank == 0:
            torch.save(trainable(pl_module), self.folder / "initial.pt")

    def on_train_end(self, trainer, pl_module) -> None:
        torch.save({"weights": trainable(pl_module), "global_step": trainer.global_step,
                    "world_size": trainer.world_size}, self.folder / f"rank{trainer.global_rank}.pt")


class CrashAt(L.Callback):
    """Every process raises at the start of optimizer step `at` (after the checkpoint of step `at`)."""

    def __init__(self, at: int):
        self.at = at

    def on_train_batch_start(self, trainer, pl_module, batch, batch_idx) -> None:
        if trainer.global_step == self.at:
            raise RuntimeError("simulated crash")
