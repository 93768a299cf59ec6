"""`python -m sentemb.run [overrides]`: train, evaluate and save one run (or a sweep with -m)."""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

import sentemb.conf_resolvers  # noqa: F401
from sentemb.errors import SettingError, in_multirun, report_user_errors
from sentemb.paths import conf_dir
from sentemb.progress import quiet_library_bars


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
            return train(cfg)
        except TrainingInterrupted as stop:
            print(stop, file=sys.stderr)
            sys.exit(143)


if __name__ == "__main__":
    main()
