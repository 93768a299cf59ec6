"""OmegaConf resolvers used by conf/: `${sentemb.data_dir:}`, `${sentemb.models_dir:}`, `${sentemb.minilm:}`,
`${sentemb.wandb_offline:}`, `${sentemb.user_config_path:}` (hydra.searchpath from $SENTEMB_CONFIG_PATH).
Registered on import (idempotent)."""

from __future__ import annotations

import os

from omegaconf import OmegaConf

from sentemb import paths


def _wandb_offline() -> bool:
    """W&B runs offline unless an API key is set or WANDB_MODE=online."""
    if os.environ.get("WANDB_MODE") == "online":
        return False
    return not os.environ.get("WANDB_API_KEY")


def register() -> None:
    resolvers = {
        "sentemb.data_dir": lambda: str(paths.data_dir()),
        "sentemb.models_dir": lambda: str(paths.models_dir()),
        "sentemb.minilm": paths.minilm_path,
        "sentemb.user_config_path": paths.user_config_path,
        "sentemb.wandb_offline": _wandb_offline,
    }
    for name, fn in resolvers.items():
        if not OmegaConf.has_resolver(name):
            OmegaConf.register_new_resolver(name, fn)


register()
