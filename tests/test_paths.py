"""sentemb.paths: the config tree in a checkout or an installed package, the user's config folders."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from sentemb import paths


def test_a_checkout_reads_its_top_level_conf():
    root = Path(paths.__file__).resolve().parents[2]
    assert paths.checkout_root() == root and paths.PROJECT_ROOT == root
    assert paths.conf_dir() == root / "conf"


def test_an_installed_package_reads_its_shipped_conf_and_nothing_above_it(tmp_path, monkeypatch):
    package = tmp_path / "lib" / "site-packages" / "sentemb"
    (package / "conf").mkdir(parents=True)
    (tmp_path / "lib" / "conf").mkdir()  # a conf/ two folders up is not a checkout's
    (tmp_path / "lib" / "pyproject.toml").write_text("")
    monkeypatch.setattr(paths, "PACKAGE_DIR", package)
    assert paths.checkout_root() is None
    with pytest.raises(FileNotFoundError, match="config tree .* missing: looked in .*site-packages/sentemb/conf"):
        paths.conf_dir()
    (package / "conf" / "config.yaml").write_text("{}")
    assert paths.conf_dir() == package / "conf"


def test_user_config_path_lists_folders_and_urls(tmp_path, monkeypatch):
    a, b = tmp_path / "a", tmp_path / "b"
    a.mkdir(), b.mkdir()
    monkeypatch.setenv("SENTEMB_CONFIG_PATH", os.pathsep.join([str(a), "", "pkg://my_pkg.conf", str(b)]))
    assert paths.user_config_path() == [f"file://{a}", "pkg://my_pkg.conf", f"file://{b}"]
    monkeypatch.delenv("SENTEMB_CONFIG_PATH")
    assert paths.user_config_path() == []
    monkeypatch.setenv("SENTEMB_CONFIG_PATH", str(tmp_path / "nowhere"))
    with pytest.raises(FileNotFoundError, match="SENTEMB_CONFIG_PATH names .*nowhere.*not a folder"):
        paths.user_config_path()
