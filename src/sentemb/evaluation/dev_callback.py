"""STS-B dev evaluation during training: Spearman, alignment and uniformity every N steps; best encoder kept."""

from __future__ import annotations

import json
import logging
import math
import shutil
from pathlib import Path

import lightning as L
import numpy as np
import torch
from lightning.pytorch.callbacks import Callback

from sentemb.bases import EvaluatorBase
from sentemb.data.sts_readers import read_stsb
from sentemb.errors import SettingError
from sentemb.evaluation.align_uniform import alignment, uniformity
from sentemb.evaluation.sts import encode_unique, spearman_cosine

log = logging.getLogger(__name__)


class STSBDevScorer(EvaluatorBase):
    """Scores an encode function on STS-B dev with one encode call over its unique sentences."""

    def __init__(self, data_dir: str | Path, positive_threshold: float = 4.0):
        self.pairs = read_stsb(Path(data_dir) / "en" / "STS" / "STSBenchmark", "dev")
        self.sentences = list(dict.fromkeys((*self.pairs.sentences1, *self.pairs.sentences2)))
        row = {s: i for i, s in enumerate(self.sentences)}
        self.left = np.array([row[s] for s in self.pairs.sentences1])
        self.right = np.array([row[s] for s in self.pairs.sentences2])
        self.positive = self.pairs.scores > positive_threshold  # SimCSE: gold higher than 4

    def __call__(self, encode) -> dict[str, float]:
        emb = encode_unique(encode, self.sentences)
        a, b = emb[self.left], emb[self.right]
        return {
            "stsb_spearman": spearman_cosine(a, b, self.pairs.scores),
            "align": alignment(a[self.positive], b[self.positive]),
            "uniform": uniformity(emb),
        }


class STSDevCallback(Callback):
    """Every `every_n_steps` optimizer steps and at the end of training, scores STS-B dev and logs
    `val/stsb_spearman`, `val/align`, `val/uniform`. The encoder with the best Spearman is saved to
    `best_dir` (as SimCSE keeps its best checkpoint); the history goes to `history_path` (JSON lines). At the
    end of training the history is drawn as SimCSE's alignment-vs-uniformity figure into `plot_path` (PNG).

    `at_start`: the starting encoder is scored too (step 0; a reference point, not a candidate for best).
    `min_evaluations`: a run too short for that many evaluations at `every_n_steps` is scored every
    ceil(steps / min_evaluations) steps instead, so its curve has that many points after step 0 (the paper
    recipes, thousands of steps, keep `every_n_steps`).
    """

    def __init__(self, data_dir: str, every_n_steps: int = 125, best_dir: str | None = None,
                 history_path: str | None = None, batch_size: int = 128, plot_path: str | None = None,
                 at_start: bool = True, min_evaluations: int = 0):
        if every_n_steps < 1:
            raise SettingError(f"callbacks.sts_dev.every_n_steps must be >= 1, got {every_n_steps}")
        if min_evaluations < 0:
            raise SettingError(f"callbacks.sts_dev.min_evaluations must be >= 0 (0 = off), got {min_evaluations}")
        self.scorer = STSBDevScorer(data_dir)
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
        improved = candidate and (self.best is None or scores["stsb_spearman"] > self.best)
        log.info("step %d: STS-B dev %.2f, align %.3f, uniform %.3f%s", step, scores["stsb_spearman"],
                 scores["align"], scores["uniform"], " (best)" if improved else "")
        if improved:
            self.best, self.best_step = scores["stsb_spearman"], step
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
            log.info("STS-B dev every %d steps (%d steps in all, callbacks.sts_dev.min_evaluations=%d)",
                     self.every_n_steps, total, self.min_evaluations)
        if self.at_start and trainer.global_step == 0 and not trainer.fast_dev_run:
            self._evaluate(trainer, pl_module, candidate=False)

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if trainer.global_step > 0 and trainer.global_step % self.every_n_steps == 0:
            self._evaluate(trainer, pl_module)

    def on_train_end(self, trainer, pl_module) -> None:
        self._evaluate(trainer, pl_module)
        if trainer.is_global_zero and self.plot_path and self.history_path and self.history_path.is_file():
            from sentemb.evaluation.plots import plot_align_uniform, read_history

            plot_align_uniform({self.history_path.parent.name: read_history(self.history_path)}, self.plot_path)
            log.info("alignment/uniformity plot: %s", self.plot_path)

    def state_dict(self) -> dict:
        return {"best": self.best, "best_step": self.best_step}

    def load_state_dict(self, state_dict: dict) -> None:
        self.best, self.best_step = state_dict.get("best"), state_dict.get("best_step")
