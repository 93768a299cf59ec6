"""`python -m sentemb.run [overrides]`: train, evaluate and save one run (or a sweep with -m)."""

from __future__ import annotations

import hydra
from omegaconf import DictConfig

import sentemb.conf_resolvers  # noqa: F401
from sentemb.paths import PROJECT_ROOT


@hydra.main(version_base="1.3", config_path=str(PROJECT_ROOT / "conf"), config_name="config")
def main(cfg: DictConfig) -> float | None:
    from sentemb.train import train

    return train(cfg)


if __name__ == "__main__":
    main()
