"""Issue 25: a mistake in the input or settings ends every entry point with one clean message (what, where, what
to do), exit status 2 and no traceback; HYDRA_FULL_ERROR=1 brings the traceback back. Run as a user runs them:
`python -m sentemb.<entry> ...` in a subprocess, on the tiny random BERT (most errors come before it loads).
"""

from __future__ import annotations

import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from sentemb.errors import USER_ERROR_EXIT


def run_entry(entry: str, args: list[str], tmp_path: Path, full_error: bool = False) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if k not in ("HYDRA_FULL_ERROR", "SENTEMB_DEBUG")}
    if full_error:
        env["HYDRA_FULL_ERROR"] = "1"
    if entry != "sentemb.report":
        args = [*args, f"hydra.run.dir={tmp_path / 'out'}"]
    return subprocess.run([sys.executable, "-m", entry, *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=300)


def tiny(tmp_path: Path, data: Path) -> list[str]:
    return ["backbone=tiny_random", "data=text_file", f"data.path={data}", "data.batch_size=4", "logger=none",
            "callbacks=none", "trainer.max_steps=2", f"cache_dir={tmp_path / 'cache'}", "save_model=false"]


def good_corpus(tmp_path: Path) -> Path:
    path = tmp_path / "good.txt"
    path.write_text("".join(f"sentence number {i} of a tiny corpus.\n" for i in range(16)))
    return path


def truncated_checkpoint(tmp_path: Path) -> Path:
    """A zip-format torch file cut in half, as a crash or a full disk while copying leaves one."""
    import torch

    path = tmp_path / "cut.ckpt"
    torch.save({"state_dict": {"w": torch.zeros(1000)}, "global_step": 3}, path)
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


# id -> (entry point, arguments given tmp_path, what the message must name)
CASES = {
    "missing_data_file": ("sentemb.run", lambda t: tiny(t, t / "no_such.txt"), ["no_such.txt", "data file not found"]),
    "non_utf8_data_file": ("sentemb.run", lambda t: tiny(t, _write(t / "latin1.txt", b"caf\xe9 au lait\n")),
                           ["latin1.txt:1", "UTF-8"]),
    "empty_data_file": ("sentemb.run", lambda t: tiny(t, _write(t / "empty.txt", b"")),
                        ["empty.txt", "no non-empty line"]),
    "incompatible_sampler_and_loss": ("sentemb.run", lambda t: [*tiny(t, good_corpus(t)), "sampler=knn", "sampler.k=2"],
                                      ["loss=infonce", "sampler=knn"]),
    "negative_learning_rate": ("sentemb.run", lambda t: [*tiny(t, good_corpus(t)), "model.lr=-0.001"],
                               ["model.lr must be > 0"]),
    "negative_temperature": ("sentemb.run", lambda t: [*tiny(t, good_corpus(t)), "loss.temperature=-0.05"],
                             ["loss.temperature must be > 0"]),
    "truncated_checkpoint": ("sentemb.run", lambda t: [*tiny(t, good_corpus(t)), f"resume={truncated_checkpoint(t)}"],
                             ["cut.ckpt", "truncated or corrupt"]),
    "pretrain_recipe_given_to_run": ("sentemb.run", lambda t: ["experiment=pretrain_mini_offline"],
                                     ["python -m sentemb.pretrain"]),
    "evaluate_missing_model": ("sentemb.evaluate", lambda t: [f"model_path={t / 'no_model'}", "eval=align_uniform"],
                               ["no_model"]),
    "pretrain_unknown_source": ("sentemb.pretrain", lambda t: ["corpus.sources=[no_such_source]"],
                                ["corpus.sources", "no_such_source"]),
    "report_missing_folder": ("sentemb.report", lambda t: [str(t / "no_runs")], ["no_runs"]),
}


def _write(path: Path, data: bytes) -> Path:
    path.write_bytes(data)
    return path


FULL_ERROR_CASES = ["incompatible_sampler_and_loss", "truncated_checkpoint", "report_missing_folder"]


@pytest.fixture(scope="module")
def finished(tmp_path_factory) -> dict[tuple[str, bool], tuple[subprocess.CompletedProcess, Path]]:
    """Every case run once (the HYDRA_FULL_ERROR=1 ones twice), as many at a time as there are cores: each
    process spends its few seconds mostly importing torch and lightning on one core."""
    jobs = [(name, False) for name in CASES] + [(name, True) for name in FULL_ERROR_CASES]

    def run(job):
        name, full = job
        folder = tmp_path_factory.mktemp(f"{name}{'_full' if full else ''}")
        entry, args, _ = CASES[name]
        return job, (run_entry(entry, args(folder), folder, full_error=full), folder)

    with ThreadPoolExecutor(max_workers=os.cpu_count() or 2) as pool:
        return dict(pool.map(run, jobs))


@pytest.mark.parametrize("name", list(CASES))
def test_user_error_is_one_clean_message(name, finished):
    entry, _, named = CASES[name]
    done, tmp_path = finished[(name, False)]
    output = done.stdout + done.stderr
    assert done.returncode == USER_ERROR_EXIT, f"{name}: exit {done.returncode}\n{output[-3000:]}"
    assert "Traceback" not in output, f"{name}:\n{output[-3000:]}"
    error_lines = [line for line in done.stderr.splitlines() if f"{entry}: error:" in line]
    assert len(error_lines) == 1, f"{name}:\n{done.stderr[-3000:]}"
    for part in named:
        assert part in error_lines[0], f"{name}: {part!r} not in {error_lines[0]!r}"
    assert not (tmp_path / "out" / "results.json").exists()


@pytest.mark.parametrize("name", FULL_ERROR_CASES)
def test_hydra_full_error_shows_the_traceback(name, finished):
    named = CASES[name][2]
    done, _ = finished[(name, True)]
    assert done.returncode != 0
    assert "Traceback (most recent call last)" in done.stderr, done.stderr[-3000:]
    assert named[0] in done.stderr


def test_a_programming_error_keeps_its_traceback(tmp_path):
    """A bug (here: a _target_ class that does not exist in sentemb) is not dressed up as a user error."""
    done = run_entry("sentemb.run", [*tiny(tmp_path, good_corpus(tmp_path)),
                                     "+callbacks.broken._target_=sentemb.no_such_module.Callback"], tmp_path)
    assert done.returncode == 1, done.stderr[-2000:]
    assert "sentemb.run: error:" not in done.stderr
    assert "no_such_module" in done.stderr
