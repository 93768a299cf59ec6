"""Saving and loading a fitted post-processing transform beside a saved encoder.

    <model>/postprocess/postprocess.json         {"_target_": "<module>.<Class>", "config": {constructor args}}
    <model>/postprocess/postprocess.safetensors  the transform's state_dict

Only classes under `sentemb.encoder.postprocess` are loaded (a saved json cannot import arbitrary code).
"""

from __future__ import annotations

import json
from pathlib import Path

from hydra.utils import get_class
from safetensors.torch import load_file, save_file
from torch import nn

from sentemb.data.errors import DataFormatError

POSTPROCESS_DIR = "postprocess"
CONFIG_FILE = "postprocess.json"
WEIGHTS_FILE = "postprocess.safetensors"
ALLOWED_PREFIX = "sentemb.encoder.postprocess."


def save_postprocess(transform: nn.Module, model_folder: Path) -> Path:
    """Write `transform` (config + weights) under `model_folder/postprocess`; returns that folder."""
    folder = Path(model_folder) / POSTPROCESS_DIR
    folder.mkdir(parents=True, exist_ok=True)
    cls = type(transform)
    (folder / CONFIG_FILE).write_text(json.dumps(
        {"_target_": f"{cls.__module__}.{cls.__qualname__}", "config": transform.config()}, indent=2) + "\n")
    save_file({k: v.detach().cpu().contiguous() for k, v in transform.state_dict().items()},
              str(folder / WEIGHTS_FILE))
    return folder


def load_postprocess(model_folder: Path) -> nn.Module | None:
    """The transform saved under `model_folder/postprocess`, in eval mode without gradients; None if absent."""
    folder = Path(model_folder) / POSTPROCESS_DIR
    cfg_path = folder / CONFIG_FILE
    if not cfg_path.exists():
        return None
    saved = json.loads(cfg_path.read_text())
    target = saved.get("_target_", "")
    if not target.startswith(ALLOWED_PREFIX):
        raise DataFormatError(f"{cfg_path}: _target_ {target!r} is not a sentemb post-processing class "
                         f"(expected {ALLOWED_PREFIX}...)")
    transform = get_class(target)(**saved.get("config", {}))
    transform.load_state_dict(load_file(str(folder / WEIGHTS_FILE)))
    return transform.eval().requires_grad_(False)
