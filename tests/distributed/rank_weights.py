"""A callback for the DDP tests, loaded by the runs through `+callbacks.rank_weights._target_=rank_weights.SaveRankWeights`
(the test puts this folder on PYTHONPATH): every process saves its trainable weights when training ends, and
rank 0 also its weights before the first step, so a test can compare the processes after the steps."""

from __future__ import annotations

from pathlib import Path

import lightning as L
import torch


def trainable(module: torch.nn.Module) -> dict[str, torch.Tensor]:
    return {n: p.detach().cpu().clone() for n, p in module.named_parameters() if p.requires_grad}


class SaveRankWeights(L.Callback):
    def __init__(self, folder: str):
        self.folder = Path(folder)

    def on_train_start(self, trainer, pl_module) -> None:
        self.folder.mkdir(parents=True, exist_ok=True)
        if trainer.global_rank == 0:
            torch.save(trainable(pl_module), self.folder / "initial.pt")

    def on_train_end(self, trainer, pl_module) -> None:
        torch.save({"weights": trainable(pl_module), "global_step": trainer.global_step,
                    "world_size": trainer.world_size}, self.folder / f"rank{trainer.global_rank}.pt")
