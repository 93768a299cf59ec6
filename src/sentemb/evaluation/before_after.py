"""Before -> after: the starting encoder's scores beside the trained encoder's, with the change.

`StartScores(cfg)`, a callback, runs `score_start(cfg, encoder)` when training starts (after the data is read,
so a bad data file is reported first; not when resuming, not in a fast_dev_run): STS-B dev always; the whole
configured eval suite too when `start_scores.suite` is true, or `auto` and the suite is cheap: on a GPU, or on
CPU for an encoder of at most `start_scores.cpu_suite_max_parameters` (a count, not a timing, so the choice
does not depend on the machine's load). `record_before_after(start, payload, path)` runs after the final
evaluation: it prints the table and adds `before_after` to results.json:

    {"scope": "suite" | "dev", "start": {metric: value}, "trained": {...}, "change": {...}, "start_seconds": s}

Metric names are those of results.json's `metrics` (val/stsb_spearman, test/sts_avg, ...). A lower value is
better for val/align, val/uniform, test/align, test/uniform (Wang & Isola, 2020); higher for the rest.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

import torch
from hydra.utils import instantiate
from lightning.pytorch.callbacks import Callback
from omegaconf import DictConfig

from sentemb.errors import SettingError
from sentemb.evaluation.dev_callback import STSBDevScorer
from sentemb.evaluation.encode_cache import CachedEncode
from sentemb.evaluation.suite import flat_metrics, run_evaluators, write_results

log = logging.getLogger(__name__)

__all__ = ["StartScores", "before_after_table", "eval_device", "record_before_after", "score_start"]

LOWER_IS_BETTER = ("/align", "/uniform")


def eval_device(cfg: DictConfig) -> str:
    """"cuda" when the run trains on a GPU and one is present, else "cpu"."""
    accelerator = cfg.get("trainer", {}).get("accelerator")
    return "cuda" if torch.cuda.is_available() and accelerator in ("gpu", "cuda", "auto") else "cpu"


def suite_is_cheap(settings, encoder, device: str) -> bool:
    """`start_scores.suite`: true, false, or auto (on a GPU; on CPU up to cpu_suite_max_parameters)."""
    choice = settings.get("suite", "auto")
    if isinstance(choice, bool):
        return choice
    if choice != "auto":
        raise SettingError(f"start_scores.suite must be true, false or auto, got {choice!r}")
    limit = float(settings.get("cpu_suite_max_parameters", 0) or 0)
    return device == "cuda" or sum(p.numel() for p in encoder.parameters()) <= limit


def score_start(cfg: DictConfig, encoder) -> dict[str, Any] | None:
    """The scores {"scope", "metrics", "seconds"} of `encoder` as it is now (on the eval device, then moved
    back to where it was)."""
    settings = cfg.get("start_scores") or {}
    start = time.perf_counter()
    device, eval_on = next(encoder.parameters()).device, eval_device(cfg)
    encoder.to(eval_on)
    try:
        cache, dev_scorer = CachedEncode(encoder, cfg.eval_batch_size), STSBDevScorer(cfg.data_dir)
        cache.prefetch(dev_scorer.sentences)
        metrics = {f"val/{k}": v for k, v in dev_scorer(cache).items()}
        evaluators = {name: instantiate(spec) for name, spec in (cfg.get("eval") or {}).items() if spec is not None}
        scope = "suite" if evaluators and suite_is_cheap(settings, encoder, eval_on) else "dev"
        if scope == "suite":
            metrics.update(flat_metrics(run_evaluators(encoder, evaluators, cfg.eval_batch_size, cache=cache)))
        else:
            log.info("starting encoder scored on STS-B dev only (start_scores.suite=%s)", settings.get("suite"))
    finally:
        encoder.to(device)
    seconds = round(time.perf_counter() - start, 1)
    log.info("starting encoder: STS-B dev %.2f%s (%.1f s)", metrics["val/stsb_spearman"],
             f", STS avg {metrics['test/sts_avg']:.2f}" if "test/sts_avg" in metrics else "", seconds)
    return {"scope": scope, "metrics": metrics, "seconds": seconds}


class StartScores(Callback):
    """Scores the starting encoder when training starts from step 0 (rank 0; not in a fast_dev_run); the result
    is in `.result`. Off with `start_scores.enabled=false`."""

    def __init__(self, cfg: DictConfig):
        self.cfg, self.result = cfg, None

    def on_train_start(self, trainer, pl_module) -> None:
        settings = self.cfg.get("start_scores") or {}
        first = trainer.global_step == 0 and not trainer.fast_dev_run
        if settings.get("enabled", True) and first and trainer.is_global_zero:
            self.result = score_start(self.cfg, pl_module.encoder)


def before_after_table(start: dict[str, float], trained: dict[str, float]) -> tuple[str, dict[str, float]]:
    """A markdown table (metric | start | trained | change) over the metrics both have, and the changes."""
    keys = [k for k in start if k in trained and isinstance(trained[k], int | float)]
    change = {k: trained[k] - start[k] for k in keys}
    lines = ["| metric | start | trained | change |", "|---|---:|---:|---:|"]
    for k in keys:
        better = "lower is better" if k.endswith(LOWER_IS_BETTER) else ""
        digits = 3 if better else 2
        lines.append(f"| {k}{' (' + better + ')' if better else ''} | {start[k]:.{digits}f} | {trained[k]:.{digits}f} "
                     f"| {change[k]:+.{digits}f} |")
    return "\n".join(lines), change


def record_before_after(start: dict[str, Any], payload: dict[str, Any], path: Path) -> dict[str, Any]:
    """Print start -> trained and add it to `payload` (rewritten to `path`, the run's results.json)."""
    table, change = before_after_table(start["metrics"], payload["metrics"])
    scope = "the eval suite and STS-B dev" if start["scope"] == "suite" else "STS-B dev"
    print(f"\nbefore -> after training (scored on {scope}):\n{table}")
    payload["before_after"] = {"scope": start["scope"], "start": start["metrics"],
                               "trained": {k: payload["metrics"][k] for k in change}, "change": change,
                               "start_seconds": start["seconds"]}
    write_results(path, payload)
    return payload["before_after"]
