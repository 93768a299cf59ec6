"""Before -> after: the starting encoder's scores beside the trained encoder's, with the change.

`StartScores(plan, ...)`, a callback, runs `score_start(plan, encoder, ...)` when training starts (after the data
is read, so a bad data file is reported first; not when resuming, not in a fast_dev_run): the dev set (`dev`,
e.g. STS-B dev) always; the whole eval suite too when `start_scores.suite` is true, or `auto` and the suite is
cheap: on a GPU, or on CPU for an encoder of at most `start_scores.cpu_suite_max_parameters` (a count, not a
timing, so the choice does not depend on the machine's load). `record_before_after(start, payload, path)` runs
after the final evaluation: it prints the table and adds `before_after` to results.json:

    {"scope": "suite" | "dev", "start": {metric: value}, "trained": {...}, "change": {...}, "start_seconds": s}

Metric names are those of results.json's `metrics` (val/stsb_spearman, test/sts_avg, ...). A lower value is
better for val/align, val/uniform, test/align, test/uniform (Wang & Isola, 2020); higher for the rest.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path
from typing import Any

from lightning.pytorch.callbacks import Callback

from sentemb.errors import SettingError
from sentemb.evaluation.encode_cache import CachedEncode
from sentemb.evaluation.plan import EvalPlan
from sentemb.evaluation.suite import flat_metrics, run_evaluators, write_results

log = logging.getLogger(__name__)

__all__ = ["StartScores", "before_after_table", "record_before_after", "score_start"]

LOWER_IS_BETTER = ("/align", "/uniform")


def suite_is_cheap(suite: bool | str, cpu_suite_max_parameters: float | None, encoder, device: str) -> bool:
    """`start_scores.suite`: true, false, or auto (on a GPU; on CPU up to cpu_suite_max_parameters)."""
    if isinstance(suite, bool):
        return suite
    if suite != "auto":
        raise SettingError(f"start_scores.suite must be true, false or auto, got {suite!r}")
    limit = float(cpu_suite_max_parameters or 0)
    return device == "cuda" or sum(p.numel() for p in encoder.parameters()) <= limit


def score_start(plan: EvalPlan, encoder, suite: bool | str = "auto",
                cpu_suite_max_parameters: float | None = None) -> dict[str, Any]:
    """The scores {"scope", "metrics", "seconds", "dev" (its title)} of `encoder` as it is now, on `plan`'s dev set (and eval suite,
    see `suite_is_cheap`), on `plan.device`, then moved back to where it was."""
    start = time.perf_counter()
    device = next(encoder.parameters()).device
    encoder.to(plan.device)
    try:
        cache, dev = CachedEncode(encoder, plan.batch_size), plan.dev()
        cache.prefetch(dev.sentences)
        metrics = {f"val/{k}": v for k, v in dev(cache).items()}
        evaluators = plan.evaluators()
        cheap = evaluators and suite_is_cheap(suite, cpu_suite_max_parameters, encoder, plan.device)
        scope = "suite" if cheap else "dev"
        if scope == "suite":
            metrics.update(flat_metrics(run_evaluators(encoder, evaluators, plan.batch_size, cache=cache)))
        else:
            log.info("starting encoder scored on %s only (start_scores.suite=%s)", dev.title, suite)
    finally:
        encoder.to(device)
    seconds = round(time.perf_counter() - start, 1)
    log.info("starting encoder: %s %.2f%s (%.1f s)", dev.title, metrics[f"val/{dev.primary_metric}"],
             f", STS avg {metrics['test/sts_avg']:.2f}" if "test/sts_avg" in metrics else "", seconds)
    return {"scope": scope, "metrics": metrics, "seconds": seconds, "dev": dev.title}


class StartScores(Callback):
    """Scores the starting encoder when training starts from step 0 (rank 0; not in a fast_dev_run); the result
    is in `.result`. The settings are those of `start_scores` (conf/config.yaml); `enabled=false`: off."""

    def __init__(self, plan: EvalPlan, enabled: bool = True, suite: bool | str = "auto",
                 cpu_suite_max_parameters: float | None = None):
        self.plan, self.enabled = plan, bool(enabled)
        self.suite, self.cpu_suite_max_parameters = suite, cpu_suite_max_parameters
        self.result: dict[str, Any] | None = None

    def on_train_start(self, trainer, pl_module) -> None:
        first = trainer.global_step == 0 and not trainer.fast_dev_run
        if self.enabled and first and trainer.is_global_zero:
            self.result = score_start(self.plan, pl_module.encoder, self.suite, self.cpu_suite_max_parameters)


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
    """Print start -> trained (`start` as `score_start` returns it) and add it to `payload` (rewritten to `path`,
    the run's results.json)."""
    table, change = before_after_table(start["metrics"], payload["metrics"])
    scope = f"the eval suite and {start['dev']}" if start["scope"] == "suite" else start["dev"]
    print(f"\nbefore -> after training (scored on {scope}):\n{table}")
    payload["before_after"] = {"scope": start["scope"], "start": start["metrics"],
                               "trained": {k: payload["metrics"][k] for k in change}, "change": change,
                               "start_seconds": start["seconds"]}
    write_results(path, payload)
    return payload["before_after"]
