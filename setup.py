"""Build hook: the wheel ships the checkout's top-level conf/ inside the package as sentemb/conf.

conf/ stays at the top of the repository (the project's layout, edited there); `build_py` copies its YAML
files into the built package, so an installed sentemb finds its configs beside its code
(`sentemb.paths.conf_dir()`). Editable installs read <checkout>/conf directly and copy nothing.
Everything else is declared in pyproject.toml.
"""

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

CONF = Path(__file__).resolve().parent / "conf"


class BuildPyWithConf(build_py):
    def run(self) -> None:
        super().run()
        if getattr(self, "editable_mode", False):
            return
        target = Path(self.build_lib) / "sentemb" / "conf"
        shutil.rmtree(target, ignore_errors=True)  # an earlier build's copy may hold files deleted since
        for source in sorted(CONF.rglob("*.yaml")):
            if source.relative_to(CONF).parts[0] == "local":  # conf/local: machine-specific, git-ignored
                continue
            out = target / source.relative_to(CONF)
            out.parent.mkdir(parents=True, exist_ok=True)
            self.copy_file(str(source), str(out))


setup(cmdclass={"build_py": BuildPyWithConf})
