"""Backbones this project makes (`backbone=mini_offline`): load the folder, or say how to make it.

conf/backbone/mini_offline.yaml points at `${oc.env:SENTEMB_MODELS_DIR,${cache_dir}/models}/mini_offline`,
the folder `python -m sentemb.pretrain experiment=pretrain_mini_offline` writes; another base (e.g. the
older ../shared/models/mini_offline) is chosen with `backbone.name_or_path=PATH`.
"""

from __future__ import annotations

from pathlib import Path

from sentemb.encoder.backbone import WEIGHT_FILES, Backbone, load_backbone
from sentemb.errors import MissingFileError


def check_made_folder(name_or_path: str, how_to_make: str) -> Path:
    """The folder, if it holds a config and weights; else FileNotFoundError naming it and the command that
    makes it."""
    path = Path(str(name_or_path)).expanduser()
    if not (path / "config.json").is_file() or not any((path / f).exists() for f in WEIGHT_FILES):
        raise MissingFileError(
            f"no pretrained base at '{path}' (backbone.name_or_path; looked for config.json and "
            f"{' / '.join(WEIGHT_FILES)}). Make it with:\n    {how_to_make}\n"
            "(or `make pretrain-offline`), set SENTEMB_MODELS_DIR to the folder holding mini_offline/, or point "
            "backbone.name_or_path at a base folder, e.g. backbone.name_or_path=../shared/models/mini_offline "
            "(the older base).")
    return path


def load_made_backbone(name_or_path: str, how_to_make: str, **kwargs) -> Backbone:
    """`load_backbone` of a folder made by `sentemb.pretrain`, with the error above when it is missing."""
    return load_backbone(str(check_made_folder(name_or_path, how_to_make)), **kwargs)
