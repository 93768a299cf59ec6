"""`python -m sentemb.run [overrides]`: train, evaluate and save one run (or a sweep with -m)."""

from __future__ import annotations

import sys

import hydra
from omegaconf import DictConfig

import sentemb.conf_resolvers  # noqa: F401
from sentemb.paths import conf_dir


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="config")
def main(cfg: DictConfig) -> float | None:
    from sentemb.checkpointing import TrainingInterrupted
    from sentemb.train import train

    if cfg.get("entry_point", "sentemb.run") != "sentemb.run":  # e.g. experiment=pretrain_mini_offline
        sys.exit(f"this recipe is for `python -m {cfg.entry_point}`, not sentemb.run: "
                 f"python -m {cfg.entry_point} <the same overrides>")
    try:
        return train(cfg)
    except TrainingInterrupted as stop:
        print(stop, file=sys.stderr)
        sys.exit(143)


if __name__ == "__main__":
    main()
