"""What a run used, saved in its folder: resolved config, package versions, seed, git commit, command."""

from __future__ import annotations

import json
import logging
import platform
import subprocess
import sys
import time
from importlib import metadata
from pathlib import Path

from omegaconf import DictConfig, OmegaConf

from sentemb.paths import PROJECT_ROOT

log = logging.getLogger(__name__)

PACKAGES = ("sentemb", "torch", "lightning", "transformers", "datasets", "hydra-core", "omegaconf",
            "sentence-transformers", "scikit-learn", "scipy", "numpy", "wandb")


def package_versions() -> dict[str, str]:
    versions = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    return versions


def git_state(root: Path = PROJECT_ROOT) -> dict[str, str | bool]:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=root, capture_output=True, text=True, timeout=10).stdout.strip()

    try:
        commit = git("rev-parse", "HEAD")
        dirty = bool(git("status", "--porcelain", "--untracked-files=no"))
    except (OSError, subprocess.SubprocessError):
        return {"commit": "unknown", "dirty": False}
    return {"commit": commit or "unknown", "dirty": dirty}


def resolved_config(cfg: DictConfig) -> dict:
    """`cfg` as a plain dict with its interpolations resolved (unresolved, with a warning, when one of them
    only resolves inside Hydra)."""
    try:
        return OmegaConf.to_container(cfg, resolve=True)
    except Exception as err:
        log.warning("config kept unresolved (%s)", err)
        return OmegaConf.to_container(cfg, resolve=False)


def save_run_info(cfg: DictConfig, output_dir: Path) -> dict:
    """Write config.yaml (resolved) and run_info.json into `output_dir`; return the info dict."""
    output_dir.mkdir(parents=True, exist_ok=True)
    (output_dir / "config.yaml").write_text(OmegaConf.to_yaml(cfg, resolve=True))
    info = {
        "seed": cfg.get("seed"),
        "git": git_state(),
        "versions": package_versions(),
        "command": sys.argv,
        "host": platform.node(),
        "machine": platform.machine(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
    }
    (output_dir / "run_info.json").write_text(json.dumps(info, indent=2) + "\n")
    return info
