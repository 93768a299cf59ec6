"""What a run sends to Weights & Biases at its end, besides the metrics Lightning logs during training.

Stable names: training logs `train/loss`, the dev callback `val/<dev score>` (STS-B dev: `val/stsb_spearman`,
`val/align`, `val/uniform`; per step); the final evaluation `test/sts12` ... `test/sts_avg`, `test/align`, `test/uniform`,
`test/clustering_<set>_<acc|nmi|ari>[_std]`, `test/intent_<set>_<full|kshot>[_std]`, `test/sts_zh_<task>`
and `val/*` of the final encoder (see `sentemb.evaluation.suite.flat_metrics`). Here we add the resolved
config, the final scores as run summary and as a table (`final/scores`), the alignment/uniformity PNG
(`final/align_uniform`), then finish the run so the next job of a multirun opens its own. Offline by default
(`${sentemb.wandb_offline:}` in conf/logger/wandb.yaml): sync later with `wandb sync <run>/wandb/offline-*`.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

__all__ = ["report_to_wandb", "wandb_loggers"]


def wandb_loggers(loggers: Sequence[Any]) -> list:
    """The Lightning `WandbLogger`s among `loggers` (none when wandb is not installed)."""
    try:
        from lightning.pytorch.loggers import WandbLogger
    except ImportError:  # pragma: no cover - lightning always has it; wandb itself is imported lazily
        return []
    return [lg for lg in loggers if isinstance(lg, WandbLogger)]


def report_to_wandb(loggers: Sequence[Any], config: Mapping[str, Any], payload: Mapping[str, Any],
                    output_dir: str | Path, plot_name: str = "align_uniform.png") -> list[str]:
    """Send `config` (the run's resolved config, a plain mapping, logged under `sentemb`), the final scores
    (`payload["metrics"]`) as summary and table, and the plot to every W&B logger of the run, then finish it;
    returns the run directories (e.g. `<output_dir>/wandb/offline-run-...`), empty without a W&B logger."""
    found = wandb_loggers(loggers)
    if not found:
        return []
    import wandb

    metrics = dict(payload.get("metrics", {}))
    plot = Path(output_dir) / plot_name
    dirs = []
    for logger in found:
        run = logger.experiment
        run.config.update({"sentemb": dict(config)}, allow_val_change=True)
        run.summary.update(metrics)
        table = wandb.Table(columns=["metric", "value"], data=[[k, float(v)] for k, v in sorted(metrics.items())])
        media: dict[str, Any] = {"final/scores": table}
        if plot.is_file():
            media["final/align_uniform"] = wandb.Image(str(plot))
        run.log(media)
        dirs.append(str(Path(run.dir).parent))
        run.finish()
        logger._experiment = None  # a later use of this logger opens a new run instead of a finished one
        log.info("W&B run %s written to %s", run.id, dirs[-1])
    return dirs
