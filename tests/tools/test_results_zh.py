"""The Chinese section of the results pipeline (tools/results/zh_plan.py, `make results-zh`)."""

from __future__ import annotations

import itertools
import json
import sys
from pathlib import Path

import pytest
from conftest import compose_config

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "results"))

import make_results  # noqa: E402
from zh_plan import ZH_AUGMENTS, ZH_SUPERVISED, ZH_UNSUPERVISED, ZhBudget, zh_jobs, zh_smoke_budget  # noqa: E402


def sweep_runs(overrides: list[str]) -> list[list[str]]:
    """The runs of a Hydra multirun: one override list per combination of the swept (a,b,c) values."""
    keys, choices = [], []
    for o in overrides:
        key, value = o.split("=", 1)
        keys.append(key)
        choices.append(value.split(",") if "," in value and not value.startswith("[") else [value])
    return [[f"{k}={v}" for k, v in zip(keys, combo)] for combo in itertools.product(*choices)]


def test_zh_plan_covers_the_issue_within_its_budget(tmp_path):
    plan = zh_jobs(ZhBudget())
    assert {j.section for j in plan} == {"zh"}
    assert 80 * 60 < sum(j.estimate_s for j in plan) < 100 * 60  # about 90 min on 2 idle cores
    names = [j.name for j in plan]
    assert names[:3] == ["start_points", "whitening", "flow"]
    assert set(ZH_SUPERVISED) | set(ZH_UNSUPERVISED) <= set(names) and not any("supcon" in n for n in names)
    assert "synonym" not in ZH_AUGMENTS and len(ZH_AUGMENTS) == 5
    for job in plan:
        assert "backbone=minilm_l6" in job.overrides and "eval=[sts_zh,align_uniform_zh]" in job.overrides
        assert "eval.sts_zh.max_pairs=500" in job.overrides
        if job.name not in ("start_points", "whitening"):  # deterministic: one run each
            assert "seed=1,2,3" in job.overrides, job.name
    for name in ZH_UNSUPERVISED:
        assert "data=zh_sentences" in plan[names.index(name)].overrides
    augment = plan[names.index("simcse_augment")]
    assert augment.runs == 3 * 5 and "augment.cjk=chars" in augment.overrides
    for job in plan:  # each run of each multirun composes, with the data and eval the plan says
        for overrides in sweep_runs(job.overrides)[:1]:
            cfg = compose_config(overrides, tmp_path)
            assert cfg.eval.align_uniform_zh.stsb == "zh" and cfg.eval.sts_zh.max_pairs == 500
            assert cfg.backbone._target_.endswith("load_backbone"), job.name
    sbert = compose_config(sweep_runs(plan[names.index("sbert_softmax_ocnli")].overrides)[0], tmp_path)
    assert sbert.loss._target_.endswith("SoftmaxClassifierLoss") and sbert.data.format == "ocnli"


def test_make_results_zh_dry_run_prints_every_job(capsys, tmp_path):
    make_results.main(["--sections", "zh", "--dry-run", "--runs", str(tmp_path)])
    out = capsys.readouterr().out
    assert out.count("python -m sentemb.run -m") == len(zh_jobs(ZhBudget()))
    assert "# zh: ~" in out and "section zh: " in out and "max_pairs=500" in out


def test_jobs_option_runs_only_the_named_jobs(capsys, tmp_path):
    """`--jobs simcse,cosent_stsb_zh --steps-zh 60`: a longer budget for a few rows, nothing else planned."""
    make_results.main(["--sections", "zh", "--dry-run", "--runs", str(tmp_path), "--jobs", "cosent_stsb_zh,simcse",
                       "--steps-zh", "60"])
    out = capsys.readouterr().out
    assert out.count("python -m sentemb.run -m") == 2 and "# total: 2 jobs, 6 runs" in out
    assert "# zh/cosent_stsb_zh:" in out.splitlines()[0] and "trainer.max_steps=60" in out
    with pytest.raises(SystemExit, match=r"--jobs: no job \['simcse_sup'\].*their jobs: start_points, "):
        make_results.main(["--sections", "zh", "--dry-run", "--runs", str(tmp_path), "--jobs", "simcse_sup"])


SMOKE_JOBS = ("start_points", "whitening", "sbert_softmax_ocnli", "simcse_sup_simclue", "arccse")


def test_zh_smoke_section_is_built_from_real_runs(tmp_path, monkeypatch):
    """`make_results.py --smoke --sections zh` (tiny_random, 2 steps of 16, 20 pairs per test set) with the runs
    of a few jobs, the zh-specific paths (the untrained start points and whitening on the Chinese sentences,
    SBERT softmax on OCNLI, SimCLUE triplets, ArcCSE on zh_sentences), trained in this process instead of one
    `python -m sentemb.run -m` per job; every job runs as a subprocess in test_results_pipeline's slow smoke test."""
    from sentemb.train import train

    runs = tmp_path / "runs"

    def run_in_process(job, runs_dir):
        if job.name not in SMOKE_JOBS:
            return {"rc": 0, "wall_s": 0.0, "log": ""}
        for overrides in sweep_runs(job.overrides):
            cfg = compose_config([*overrides, "logger=none", f"cache_dir={tmp_path / 'cache'}"], tmp_path)
            cfg.output_dir = str(runs_dir / job.section / job.name / f"{cfg.run_name}_seed{cfg.seed}")
            assert cfg.backbone._target_.endswith("tiny_random_backbone")
            train(cfg)
        return {"rc": 0, "wall_s": 1.0, "log": ""}

    monkeypatch.setattr(make_results, "run_job", run_in_process)
    out = make_results.main(["--smoke", "--sections", "zh", "--runs", str(runs), "--out", str(tmp_path / "R.md")])
    text = out.read_text()
    jobs = json.loads((runs / "jobs.json").read_text())
    assert [j["name"] for j in jobs] == [j.name for j in zh_jobs(zh_smoke_budget())]
    results = [json.loads(p.read_text()) for p in sorted(runs.glob("zh/*/*/results.json"))]
    assert len(results) == sum(j["runs"] for j in jobs if j["name"] in SMOKE_JOBS) == 6
    for r in results:
        assert {"test/sts_zh_pawsx", "test/sts_zh_avg", "test/align_uniform_zh_uniform"} <= set(r["metrics"])
    section = text.split("## Chinese transfer", 1)[1].split("\n## ", 1)[0]
    assert "| STS-B | ATEC | BQ | LCQMC | PAWSX | avg | align | uniform |" in section
    for row in ("avg_mean", "avg_cls_before_pooler", "avg_mean_whitening", "sbert_softmax_ocnli",
                "simcse_sup_simclue", "arccse"):
        assert f"| {row} |" in section, row
    assert "SupCon is left out" in section and "section zh: 2 steps of 16" in text
