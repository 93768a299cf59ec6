"""Running `python -m sentemb.run ... hardware=ddp_cpu` (two gloo processes) from a test, and checking what a
DDP run must leave: one results.json, one saved model, and the same weights on every process."""

from __future__ import annotations

import importlib.util
import json
import os
import subprocess
import sys
from pathlib import Path

import torch

from conftest import SENTENCES
from sentemb.paths import PROJECT_ROOT

HERE = Path(__file__).parent


def supervised_data(folder: Path) -> dict[str, list[str]]:
    """{model: data overrides} for the supervised models (tests/methods/test_fast_dev_run's small files)."""
    spec = importlib.util.spec_from_file_location("fast_dev_run_files", HERE.parent / "methods" / "test_fast_dev_run.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.write_supervised_files(folder)


def tiny_ddp_overrides(tmp_path: Path, steps: int = 2) -> list[str]:
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 3) + "\n")
    return ["backbone=tiny_random", "data=text_file", f"data.path={corpus}", "data.batch_size=4",
            f"cache_dir={tmp_path / 'cache'}", "logger=none", "hardware=ddp_cpu", f"trainer.max_steps={steps}",
            "trainer.max_epochs=-1", "~callbacks.sts_dev", "eval=align_uniform"]


def launch(overrides: list[str], out: Path, weights: bool = True) -> subprocess.Popen:
    """Start a run writing into `out`; with `weights`, every process saves its weights to out/rank_weights."""
    extra = ["+callbacks.rank_weights._target_=ddp_callbacks.SaveRankWeights",
             f"+callbacks.rank_weights.folder={out / 'rank_weights'}"] if weights else []
    env = {**os.environ, "OMP_NUM_THREADS": "1",
           "PYTHONPATH": os.pathsep.join([str(PROJECT_ROOT / "src"), str(HERE), os.environ.get("PYTHONPATH", "")])}
    return subprocess.Popen([sys.executable, "-m", "sentemb.run", *overrides, *extra, f"hydra.run.dir={out}"],
                            cwd=PROJECT_ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)


def run(overrides: list[str], out: Path, timeout: int = 300, fails: bool = False) -> str:
    """Run to the end; the exit status must be 0, or with `fails` not 0 (a crashed child may make Lightning's
    process observer kill rank 0 before it exits on its own)."""
    proc = launch(overrides, out)
    output = proc.communicate(timeout=timeout)[0]
    assert (proc.returncode != 0) if fails else (proc.returncode == 0), output[-6000:]
    return output


def rank_weights(out: Path) -> list[dict[str, torch.Tensor]]:
    return [torch.load(out / "rank_weights" / f"rank{r}.pt", weights_only=True)["weights"] for r in (0, 1)]


def assert_same_weights(a: dict[str, torch.Tensor], b: dict[str, torch.Tensor], atol: float = 1e-6) -> None:
    assert a.keys() == b.keys() and a
    for name in a:
        torch.testing.assert_close(a[name], b[name], rtol=0, atol=atol, msg=f"weights differ in {name}")


def check_one_writer_and_equal_ranks(output: str, out: Path, steps: int = 2) -> None:
    """results.json and the model written once (rank 0), no temporary files left, both processes trained
    `steps` steps and hold the same weights, which differ from the initial ones."""
    assert output.count("results: ") == 1 and output.count("model saved to ") == 1, output[-3000:]
    assert json.loads((out / "results.json").read_text())["global_step"] == steps
    assert (out / "model" / "model.safetensors").is_file()
    leftovers = [p.name for p in out.rglob("*") if ".tmp" in p.name]
    assert not leftovers, leftovers
    ranks = [torch.load(out / "rank_weights" / f"rank{r}.pt", weights_only=True) for r in (0, 1)]
    assert [(r["world_size"], r["global_step"]) for r in ranks] == [(2, steps), (2, steps)]
    w0 = ranks[0]["weights"]
    assert_same_weights(w0, ranks[1]["weights"], atol=1e-7)
    initial = torch.load(out / "rank_weights" / "initial.pt", weights_only=True)
    assert initial.keys() == w0.keys()
    assert any(not torch.equal(initial[n], w0[n]) for n in w0), "no weight changed"
