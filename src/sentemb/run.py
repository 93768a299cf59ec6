"""`python -m sentemb.run [overrides]`: train, evaluate and save one run (or a sweep with -m)."""

from __future__ import annotations

import sys
from collections.abc import Mapping
from typing import Any

import hydra
from omegaconf import DictConfig

import sentemb.conf_resolvers  # noqa: F401
from sentemb.errors import SettingError, in_multirun, report_user_errors
from sentemb.paths import conf_dir
from sentemb.progress import quiet_library_bars


def optimized_value(metric: str | None, metrics: Mapping[str, float], objects: Mapping[str, Any]) -> float | None:
    """The value of `optimized_metric` that a Hydra sweeper maximises or minimises: None when none is set or the
    run did not evaluate (a fast_dev_run, a DDP process other than rank 0); a name the evaluated run did not
    measure is refused, naming the setting and the metrics there are."""
    if not metric or "results" not in objects:
        return None
    if metric not in metrics:
        raise SettingError(f"optimized_metric={metric}: this run has no such metric; it has "
                           f"{', '.join(sorted(k for k in metrics if k.startswith(('val/', 'test/'))))}")
    return metrics[metric]


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="config")
def main(cfg: DictConfig) -> float | None:
    from sentemb.checkpointing import TrainingInterrupted
    from sentemb.train import train

    quiet_library_bars()  # no TTY: a log line every few percent instead of redrawn bars
    with report_user_errors("sentemb.run", in_sweep=in_multirun):
        if cfg.get("entry_point", "sentemb.run") != "sentemb.run":  # e.g. experiment=pretrain_mini_offline
            raise SettingError(f"this recipe is for `python -m {cfg.entry_point}`, not sentemb.run: "
                               f"python -m {cfg.entry_point} <the same overrides>")
        try:
            metrics, objects = train(cfg)
            return optimized_value(cfg.get("optimized_metric"), metrics, objects)
        except TrainingInterrupted as stop:
            print(stop, file=sys.stderr)
            sys.exit(143)


if __name__ == "__main__":
    main()
