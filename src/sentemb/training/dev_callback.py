"""Dev evaluation during training (`callbacks.sts_dev`): the configured dev set (`dev`, conf/dev/) every N steps,
the best encoder kept. `find_dev_callback` finds it among a trainer's callbacks (by type)."""

from __future__ import annotations

import json
import logging
import math
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import lightning as L
import torch
from lightning.pytorch.callbacks import Callback

from sentemb.errors import SettingError
from sentemb.evaluation.dev_sets import checked_dev

log = logging.getLogger(__name__)

__all__ = ["DevCallback", "find_dev_callback"]


class DevCallback(Callback):
    """Every `every_n_steps` optimizer steps and at the end of training, scores the dev set `scorer` (a dev
    evaluator, sentemb.evaluation.dev_sets: `${dev}` in conf/callbacks/default.yaml) and logs `val/<score>`
    (English STS-B dev: `val/stsb_spearman`, `val/align`, `val/uniform`). The encoder with the best
    `scorer.primary_metric` is saved to `best_dir` (as SimCSE keeps its best checkpoint; `saved_best()` says
    where, once there is one); the history goes to `history_path` (JSON lines). At the end of training the
    history is drawn as SimCSE's alignment-vs-uniformity figure into `plot_path` (PNG).

    `at_start`: the starting encoder is scored too (step 0; a reference point, not a candidate for best).
    `min_evaluations`: a run too short for that many evaluations at `every_n_steps` is scored every
    ceil(steps / min_evaluations) steps instead, so its curve has that many points after step 0 (the paper
    recipes, thousands of steps, keep `every_n_steps`).
    """

    def __init__(self, scorer: Any, every_n_steps: int = 125, best_dir: str | None = None,
                 history_path: str | None = None, batch_size: int = 128, plot_path: str | None = None,
                 at_start: bool = True, min_evaluations: int = 0):
        if every_n_steps < 1:
            raise SettingError(f"callbacks.sts_dev.every_n_steps must be >= 1, got {every_n_steps}")
        if min_evaluations < 0:
            raise SettingError(f"callbacks.sts_dev.min_evaluations must be >= 0 (0 = off), got {min_evaluations}")
        self.scorer = checked_dev(scorer, "callbacks.sts_dev.scorer")
        self.metric = self.scorer.primary_metric
        self.every_n_steps = every_n_steps
        self.at_start, self.min_evaluations = at_start, int(min_evaluations)
        self.best_dir = Path(best_dir) if best_dir else None
        self.history_path = Path(history_path) if history_path else None
        self.plot_path = Path(plot_path) if plot_path else None
        self.batch_size = batch_size
        self.best: float | None = None
        self.best_step: int | None = None
        self.last_step: int | None = None

    def _evaluate(self, trainer: L.Trainer, pl_module: L.LightningModule, candidate: bool = True) -> None:
        step = trainer.global_step
        if step == self.last_step or not trainer.is_global_zero:
            return
        self.last_step = step
        encoder = pl_module.encoder
        scores = self.scorer(lambda s: encoder.encode(s, batch_size=self.batch_size))
        metrics = {f"val/{k}": v for k, v in scores.items()}
        for logger in trainer.loggers:
            logger.log_metrics(metrics, step=step)
        trainer.callback_metrics.update({k: torch.tensor(v) for k, v in metrics.items()})
        improved = candidate and (self.best is None or scores[self.metric] > self.best)
        others = ", ".join(f"{k} {v:.3f}" for k, v in scores.items() if k != self.metric)
        log.info("step %d: %s %.2f%s%s", step, self.scorer.title, scores[self.metric], f", {others}" if others else "",
                 " (best)" if improved else "")
        if improved:
            self.best, self.best_step = scores[self.metric], step
            if self.best_dir is not None:
                tmp = self.best_dir.with_name(self.best_dir.name + ".tmp")
                shutil.rmtree(tmp, ignore_errors=True)
                encoder.save(tmp)
                shutil.rmtree(self.best_dir, ignore_errors=True)
                tmp.rename(self.best_dir)
        if self.history_path is not None:
            self.history_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.history_path, "a") as fh:
                fh.write(json.dumps({"step": step, **scores, "best": improved}) + "\n")

    def on_train_start(self, trainer, pl_module) -> None:
        total = trainer.estimated_stepping_batches
        if self.min_evaluations and 0 < total < float("inf") and total < self.min_evaluations * self.every_n_steps:
            self.every_n_steps = max(1, math.ceil(total / self.min_evaluations))
            log.info("%s every %d steps (%d steps in all, callbacks.sts_dev.min_evaluations=%d)",
                     self.scorer.title, self.every_n_steps, total, self.min_evaluations)
        if self.at_start and trainer.global_step == 0 and not trainer.fast_dev_run:
            self._evaluate(trainer, pl_module, candidate=False)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step > 0 and trainer.global_step % self.every_n_steps == 0:
            self._evaluate(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        self._evaluate(trainer, pl_module)
        if trainer.is_global_zero and self.plot_path and self.history_path and self.history_path.is_file():
            from sentemb.evaluation.plots import plot_align_uniform, read_history

            plot_align_uniform({self.history_path.parent.name: read_history(self.history_path)}, self.plot_path,
                               title=f"Alignment vs. uniformity ({self.scorer.title})")
            log.info("alignment/uniformity plot: %s", self.plot_path)

    def saved_best(self) -> Path | None:
        """The folder of the best encoder saved so far (a SentenceEncoder folder), None when there is none."""
        return self.best_dir if self.best_dir is not None and self.best_dir.is_dir() else None

    def summary(self) -> dict[str, Any] | None:
        """{primary_metric: best value, "step": its step} for results.json (`dev_best`), None before any."""
        return None if self.best_step is None else {self.metric: self.best, "step": self.best_step}

    def state_dict(self) -> dict:
        return {"best": self.best, "best_step": self.best_step}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.best_step = state_dict.get("best"), state_dict.get("best_step")


def find_dev_callback(callbacks: Iterable[Callback]) -> DevCallback | None:
    """The DevCallback among `callbacks` (None with callbacks=none); two are refused (which one selects?)."""
    found = [cb for cb in callbacks if isinstance(cb, DevCallback)]
    if len(found) > 1:
        raise SettingError(f"callbacks: {len(found)} dev callbacks configured; keep one (callbacks.sts_dev)")
    return found[0] if found else None
