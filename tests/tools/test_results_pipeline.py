"""The results pipeline (tools/results): the plan of runs, the tables, the smoke run end to end."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest

from conftest import CONF_DIR, compose_config

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tools" / "results"))

import make_results  # noqa: E402
from results_plan import AUGMENTS, SECTIONS, UNSUPERVISED, Budget, build_plan, smoke_budget  # noqa: E402
from results_tables import build_results  # noqa: E402


def first_of_sweeps(overrides: list[str]) -> list[str]:
    """A multirun's overrides with each swept list cut to its first value (one job of the sweep)."""
    out = []
    for o in overrides:
        key, value = o.split("=", 1)
        if "," in value and not value.startswith("["):
            value = value.split(",")[0]
        out.append(f"{key}={value}")
    return out


def test_default_plan_fits_the_three_hours_and_covers_the_issue():
    plan = build_plan(Budget())
    assert {j.section for j in plan} == set(SECTIONS)
    assert sum(j.estimate_s for j in plan) < 3 * 3600
    options = {o.split("=", 1)[1] for overrides, _, _ in UNSUPERVISED.values() for o in overrides if "=" in o}
    augment_options = {p.stem for p in (CONF_DIR / "augment").glob("*.yaml")} - {"dropout"}
    assert augment_options == set(AUGMENTS)
    for needed in ("hard", "debiased", "false_negative", "vascl", "arccse", "simcse_unsup_mlm", "infonce", "arccon"):
        assert any(needed == v or needed in v.split(",") for v in options), needed
    wiki = [j for j in plan if j.section == "unsup_wiki" and j.name != "start_points"]
    assert all("seed=1,2,3" in j.overrides for j in wiki)
    assert sum(j.runs for j in wiki) == 3 * (len(UNSUPERVISED) - 1 + len(AUGMENTS))
    stc = [j for j in plan if j.section == "unsup_stc"]
    assert all("data=stc_texts" in j.overrides and "seed=1,2,3" in j.overrides for j in stc if j.name != "start_points")


@pytest.mark.parametrize("budget", [Budget(), smoke_budget()], ids=["default", "smoke"])
def test_every_job_composes(budget, tmp_path):
    have_base = (CONF_DIR / "backbone" / f"{budget.base_backbone}.yaml").is_file()
    for job in build_plan(budget):
        if job.section == "offline_base" and not budget.smoke and not have_base:
            continue  # backbone=mini_offline comes with another issue; the section is skipped without it
        cfg = compose_config(first_of_sweeps(job.overrides), tmp_path)
        assert cfg.model.name and cfg.run_name, job.name
        if budget.smoke:
            assert cfg.backbone._target_.endswith("tiny_random_backbone")


def test_offline_section_is_skipped_when_the_base_is_missing(tmp_path, capsys):
    why = make_results.offline_base_missing(Budget(base_backbone="no_such_base"))
    assert "skipped" in why and "no_such_base" in why
    out = tmp_path / "R.md"
    make_results.main(["--sections", "offline_base", "--base-backbone", "no_such_base", "--runs",
                       str(tmp_path / "runs"), "--out", str(out)])
    text = out.read_text()
    assert "offline_base skipped" in text and "## Paper recipes" in text and "## Findings" in text
    assert "offline_base skipped" in capsys.readouterr().out


def test_defaults_are_the_checkout_table_and_its_findings(tmp_path):
    """Without --out/--findings the tool writes experiments/RESULTS.md and copies experiments/FINDINGS.md; every
    repository path RESULTS.md's header names exists."""
    args = make_results.parse_args([])
    assert Path(args.out) == ROOT / "experiments" / "RESULTS.md" and Path(args.runs) == ROOT / "runs" / "results"
    assert Path(args.findings) == ROOT / "experiments" / "FINDINGS.md"
    assert Path(args.findings).read_text().startswith("## Findings")
    meta = {"jobs": [{"section": "zero_shot", "name": "poolings", "runs": 1, "estimate_s": 60, "rc": 0, "wall_s": 50}]}
    header = build_results(tmp_path / "runs", tmp_path / "R.md", meta, ["zero_shot"]).read_text().split("##")[0]
    named = re.findall(r"\b(?:tools|experiments)/[\w/.-]+\.(?:py|md)", header)
    assert named and all((ROOT / path).is_file() for path in named), named


def fake_run(folder: Path, name: str, seed: int, metrics: dict) -> None:
    folder.mkdir(parents=True)
    (folder / "results.json").write_text(json.dumps({"config_name": name, "seed": seed, "global_step": 4,
                                                     "metrics": metrics}))


def test_tables_from_run_folders(tmp_path):
    runs = tmp_path / "runs"
    for seed, stsb in ((1, 80.0), (2, 82.0), (3, 84.0)):
        fake_run(runs / "unsup_wiki" / "simcse" / f"simcse_seed{seed}", "simcse", seed,
                 {"test/stsb": stsb, "test/sickr": 70.0, "test/sts_avg": (stsb + 70) / 2, "val/stsb_spearman": 85.0,
                  "test/align": 0.2, "test/uniform": -2.0 - seed})
    fake_run(runs / "unsup_wiki" / "start_points" / "avg_mean_seed1", "avg_mean", 1,
             {"test/stsb": 81.0, "test/sickr": 77.0, "test/sts_avg": 79.0, "test/align": 0.3, "test/uniform": -3.8})
    fake_run(runs / "paper_recipes" / "simcse_unsup_bert_base" / "run", "simcse_unsup_bert_base", 42,
             {"test/sts_avg": 75.5})
    meta = {"command": "make results", "cpus": 2, "jobs": [
        {"section": "unsup_wiki", "name": "simcse", "runs": 3, "estimate_s": 200, "rc": 0, "wall_s": 190.0,
         "commit": "abc1234"},
        {"section": "unsup_wiki", "name": "vascl", "runs": 3, "estimate_s": 200, "rc": 1, "wall_s": 10.0,
         "log": "x.log"}]}
    text = build_results(runs, tmp_path / "RESULTS.md", meta, ["unsup_wiki", "unsup_stc"]).read_text()
    assert "| simcse | **82.00 ± 2.00** | 70.00 ± 0.00 |" in text  # mean ± sample std over 3 seeds, best in bold
    assert "0.2000 ± 0.0000" in text  # equal values: no rounding noise
    assert "| avg_mean | 81.00 | **77.00** |" in text  # one run: no spread; best of the column in bold
    assert "mean ± sample std over 1/3 seeds" in text and "training steps per run: 4" in text
    assert "`unsup_wiki/vascl` (rc 1" in text  # failed jobs are named
    assert "| unsup_wiki | 2 | 6 | 1 | 3 min | 7 min | abc1234 |" in text  # the commit the runs were made at
    assert "_no results: the section did not run" in text  # unsup_stc
    assert "| `simcse_unsup_bert_base` |" in text and "| 76.25 | 75.50 |" in text  # paper avg, then ours
    assert "| `vascl_roberta_base` |" in text
    findings = text.split("## Findings", 1)[1]
    assert "Not written by the pipeline" in findings and "|" not in findings


def test_trained_sections_scored_on_the_suite_show_every_sts_column(tmp_path):
    runs = tmp_path / "runs"
    suite = {f"test/sts1{i}": 60.0 + i for i in range(2, 7)}
    fake_run(runs / "offline_base" / "simcse" / "simcse_seed1", "simcse", 1,
             {**suite, "test/stsb": 70.0, "test/sickr": 65.0, "test/sts_avg": 66.0, "val/stsb_spearman": 72.0,
              "test/align": 0.3, "test/uniform": -2.5})
    fake_run(runs / "unsup_wiki" / "simcse" / "simcse_seed1", "simcse", 1,
             {"test/stsb": 80.0, "test/sickr": 70.0, "test/sts_avg": 75.0, "val/stsb_spearman": 85.0})
    text = build_results(runs, tmp_path / "RESULTS.md", {}, ["unsup_wiki", "offline_base"]).read_text()
    wiki, offline = text.split("## From the offline MLM base", 1)
    assert "| STS12 | STS13 | STS14 | STS15 | STS16 | STS-B | SICK-R | avg | STS-B dev | align | uniform |" in offline
    assert "| simcse | 62.00 | 63.00 | 64.00 | 65.00 | 66.00 | 70.00 | 65.00 | 66.00 | 72.00 |" in offline
    assert "avg is the mean of the seven" in offline
    assert "| STS-B test | SICK-R test | avg of the two | STS-B dev |" in wiki  # scored on STS-B + SICK-R only
    assert "avg is the mean of the two" in wiki and "STS12" not in wiki


def test_findings_file_is_copied_in_and_must_have_its_heading(tmp_path):
    runs, out = tmp_path / "runs", tmp_path / "RESULTS.md"
    findings = tmp_path / "FINDINGS.md"
    findings.write_text("## Findings\n\nSimCSE lifted STS-B by 1.2 points.\n")
    text = build_results(runs, out, {}, ["unsup_wiki"], findings).read_text()
    assert text.endswith("## Findings\n\nSimCSE lifted STS-B by 1.2 points.\n")
    assert "Not written by the pipeline" not in text
    findings.write_text("SimCSE lifted STS-B.\n")
    with pytest.raises(ValueError, match="FINDINGS.md.*'## Findings' heading"):
        build_results(runs, out, {}, ["unsup_wiki"], findings)


def test_a_partial_call_keeps_the_sections_of_earlier_calls(tmp_path):
    """`--sections unsup_stc` after a call that ran zero_shot: RESULTS.md and jobs.json keep zero_shot."""
    runs = tmp_path / "runs"
    fake_run(runs / "zero_shot" / "poolings" / "avg_mean_seed1", "avg_mean", 1, {"test/sts_avg": 77.7})
    earlier = {"section": "zero_shot", "name": "poolings", "runs": 6, "estimate_s": 900, "rc": 0, "wall_s": 880.0}
    runs.mkdir(exist_ok=True)
    (runs / "jobs.json").write_text(json.dumps([earlier]))
    out = make_results.main(["--sections", "unsup_stc", "--build-only", "--runs", str(runs),
                             "--out", str(tmp_path / "RESULTS.md"), "--findings", str(tmp_path / "none.md")])
    text = out.read_text()
    assert "Zero-shot baselines" in text and "77.70" in text
    assert "| zero_shot | 1 | 6 | 0 | 15 min | 15 min | not recorded |" in text  # a record from before commits
    assert "on the clustering texts" in text and "on wiki_sample" not in text
    jobs = json.loads((runs / "jobs.json").read_text())
    assert jobs[0] == earlier and {j["section"] for j in jobs[1:]} == {"unsup_stc"}


@pytest.mark.slow
def test_smoke_run_end_to_end(tmp_path):
    """`make_results.py --smoke`: every section's jobs (the Chinese one too) run on tiny_random and RESULTS.md has
    every section."""
    out = make_results.main(["--smoke", "--sections", ",".join(make_results.ALL_SECTIONS), "--runs",
                             str(tmp_path / "runs"), "--out", str(tmp_path / "RESULTS.md")])
    text = out.read_text()
    jobs = json.loads((tmp_path / "runs" / "jobs.json").read_text())
    assert [j for j in jobs if j["rc"] != 0] == []
    assert all(len(j["commit"]) >= 7 for j in jobs)  # each job records the commit it ran at
    for title in ("Zero-shot baselines", "on wiki_sample", "on the clustering texts", "offline MLM base",
                  "Supervised methods", "Chinese transfer", "Paper recipes", "Findings"):
        assert title in text, title
    assert "_no results" not in text and "Smoke run" in text
    assert "simcse_synonym" in text and "arccse_no_margin" in text and "supcon_snips" in text
    assert "| cosent_atec |" in text and "| simcse_sup_ocnli |" in text and "| simcse_shuffle |" in text


def test_offline_base_is_looked_for_where_the_run_loads_it(tmp_path, monkeypatch):
    """The check resolves backbone=mini_offline's name_or_path as a run does (it once looked in ../shared/models
    while the runs loaded ~/.cache/sentemb/models, and every job of the section failed)."""
    monkeypatch.setenv("SENTEMB_MODELS_DIR", str(tmp_path))
    why = make_results.offline_base_missing(Budget())
    assert why and str(tmp_path / "mini_offline") in why
    (tmp_path / "mini_offline").mkdir()
    (tmp_path / "mini_offline" / "config.json").write_text("{}")
    assert make_results.offline_base_missing(Budget()) is None
