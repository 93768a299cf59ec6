"""The wheel as a new user gets it: built from the checkout, installed into a fresh virtualenv, run from a
folder that is not the checkout (configs shipped inside the package, run folders under the working directory,
data from $SENTEMB_DATA_DIR or ../shared beside the working directory, the console scripts).

The fresh virtualenv reuses this interpreter's installed packages (torch, lightning, MiniLM, ...) through a .pth
line, and sentemb itself only from the wheel: no PYTHONPATH, no editable install (a .pth inside a folder added
by a .pth line is not processed, so the checkout's editable hook stays out).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from conftest import SENTENCES
from sentemb.paths import checkout_root, data_dir

# Not marked slow: the whole module took 44 s on 2 busy cores (build + install 2 s, the runs the rest).
BUILD_INPUTS = ("pyproject.toml", "setup.py", "MANIFEST.in", "README.md", "src", "conf")


def _run(args: list[str], cwd: Path, env: dict[str, str] | None = None, timeout: int = 600) -> str:
    done = subprocess.run(args, cwd=cwd, env=env, capture_output=True, text=True, timeout=timeout)
    assert done.returncode == 0, f"{' '.join(map(str, args))} (in {cwd}) failed:\n{done.stdout[-3000:]}\n{done.stderr[-6000:]}"
    return done.stdout


@pytest.fixture(scope="module")
def installed(tmp_path_factory) -> dict:
    """Build the wheel from a copy of the checkout's build inputs, install it into a fresh venv."""
    root = checkout_root()
    assert root is not None, "the packaging test runs from a source checkout"
    tmp = tmp_path_factory.mktemp("packaging")
    source = tmp / "source"
    source.mkdir()
    ignore = shutil.ignore_patterns("__pycache__", "*.egg-info")
    for name in BUILD_INPUTS:
        path = root / name
        (shutil.copytree(path, source / name, ignore=ignore) if path.is_dir() else shutil.copy2(path, source / name))
    (source / "conf" / "local").mkdir(exist_ok=True)  # a machine's own settings must stay out of the wheel
    (source / "conf" / "local" / "default.yaml").write_text("# @package _global_\nseed: 7\n")
    dist = tmp / "dist"
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "--no-build-isolation", "--no-index", "-q",
          "-w", str(dist), str(source)], cwd=tmp)
    wheels = list(dist.glob("sentemb-*.whl"))
    assert len(wheels) == 1, wheels

    venv = tmp / "venv"
    _run([sys.executable, "-m", "venv", "--without-pip", str(venv)], cwd=tmp)
    python = venv / "bin" / "python"
    site = Path(_run([str(python), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"], cwd=tmp).strip())
    host = dict.fromkeys([sysconfig.get_paths()["purelib"], sysconfig.get_paths()["platlib"]])
    (site / "_sentemb_test_host_packages.pth").write_text("\n".join(host) + "\n")
    # --ignore-installed: the host's (editable) sentemb is visible through the .pth above, and pip once took it
    # for this wheel ("already satisfied") in the full test run, leaving the venv without the package
    _run([sys.executable, "-m", "pip", "--python", str(python), "install", "--no-deps", "--no-index",
          "--ignore-installed", "-q", str(wheels[0])], cwd=tmp)
    assert (site / "sentemb" / "__init__.py").is_file(), f"the wheel was not installed into {site}"

    work = tmp / "project" / "work"  # the user's folder; ../shared/data beside it for the data lookup test
    work.mkdir(parents=True)
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "SENTEMB_DATA_DIR", "SENTEMB_CONFIG_PATH")}
    env["SENTEMB_CACHE_DIR"] = str(tmp / "cache")
    return {"root": root, "site": site, "bin": venv / "bin", "work": work, "env": env, "wheel": wheels[0]}


def test_wheel_ships_the_config_tree(installed):
    shipped = installed["site"] / "sentemb" / "conf"
    source = installed["root"] / "conf"
    expected = sorted(str(p.relative_to(source)) for p in source.rglob("*.yaml"))
    expected = [p for p in expected if not p.startswith("local/")]  # conf/local: machine-specific, not shipped
    assert sorted(str(p.relative_to(shipped)) for p in shipped.rglob("*.yaml")) == expected


def test_installed_package_finds_its_configs_and_the_cwd(installed):
    code = "import json, sentemb, sentemb.paths as p; print(json.dumps([sentemb.__file__, str(p.conf_dir()), str(p.PROJECT_ROOT)]))"
    module, conf, project = json.loads(_run([str(installed["bin"] / "python"), "-c", code], installed["work"],
                                            installed["env"]))
    assert Path(module).is_relative_to(installed["site"]), module  # the wheel's copy, not the checkout's
    assert Path(conf) == installed["site"] / "sentemb" / "conf"
    assert Path(project) == installed["work"]


def test_console_scripts_run_from_another_folder(installed):
    """`sentemb-train` (data from $SENTEMB_DATA_DIR), `python -m sentemb.run model=avg` (data from ../shared
    beside the cwd), then `sentemb-evaluate` on the saved model and `sentemb-report` on the runs."""
    work, bin_dir = installed["work"], installed["bin"]
    env = {**installed["env"], "SENTEMB_DATA_DIR": str(data_dir())}
    _run([str(bin_dir / "sentemb-train"), "backbone=tiny_random", "logger=none", "++trainer.fast_dev_run=true"],
         work, env)
    trained = list((work / "runs").glob("simcse_unsup*/*/run_info.json"))  # the default job's run_name
    assert len(trained) == 1, "sentemb-train writes its run folder under the working directory"

    shared = work.parent / "shared"
    shared.mkdir(exist_ok=True)
    (shared / "data").symlink_to(data_dir(), target_is_directory=True)
    _run([str(bin_dir / "python"), "-m", "sentemb.run", "model=avg", "model.pooling=mean", "backbone=tiny_random",
          "logger=none", "eval.sts.tasks=[STSBenchmark]"], work, installed["env"])
    results = list((work / "runs" / "avg").glob("*/results.json"))
    assert len(results) == 1
    metrics = json.loads(results[0].read_text())["metrics"]
    assert -100 <= metrics["test/stsb"] <= 100 and "test/uniform" in metrics
    assert "\nseed: 42\n" in (results[0].parent / "config.yaml").read_text()  # the build's conf/local stayed out

    model = results[0].parent / "model"
    _run([str(bin_dir / "sentemb-evaluate"), f"model_path={model}", "eval=align_uniform"], work, installed["env"])
    evaluated = list((work / "runs" / "evaluate").glob("*/results.json"))
    assert len(evaluated) == 1
    assert json.loads(evaluated[0].read_text())["metrics"]["test/align"] == pytest.approx(metrics["test/align"])

    out = _run([str(bin_dir / "sentemb-report"), "runs/avg", "runs/evaluate", "--out", "report"], work,
               installed["env"])
    assert "| run |" in out and (work / "report" / "report.md").is_file()


def test_pretrain_script_runs_from_another_folder(installed, tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 3) + "\n")
    overrides = [f"corpus.files=[{corpus}]", "corpus.sources=[]", "corpus.exclude=[]", "corpus.heldout_fraction=0.2",
                 "tokenizer.vocab_size=120", "tokenizer.min_frequency=1", "model.architecture.num_hidden_layers=1",
                 "model.architecture.hidden_size=32", "model.architecture.num_attention_heads=2",
                 "model.architecture.intermediate_size=64", "batching.max_length=16", "batching.batch_size=4",
                 "batching.eval_batch_size=8", "logger=none", "optim.warmup_steps=1", "trainer.max_steps=2"]
    _run([str(installed["bin"] / "sentemb-pretrain"), *overrides], installed["work"], installed["env"])
    assert list((installed["work"] / "runs" / "pretrain").glob("*/*/pretrain_results.json"))
