"""Regenerate experiments/RESULTS.md: run every section of the table as Hydra multiruns, then build the tables.

    make results                                     # = python tools/results/make_results.py
    python tools/results/make_results.py --dry-run   # the commands and the time estimate only
    python tools/results/make_results.py --sections unsup_wiki,offline_base --seeds 1,2,3
    python tools/results/make_results.py --build-only  # tables from the runs already there
    make results-zh                                  # = --sections zh: the Chinese section (zh_plan.py), not in the default
    python tools/results/make_results.py --sections zh --jobs simcse,cosent_stsb_zh --steps-zh 60 --runs runs/zh60
                                                     # a few rows at a longer budget, in their own runs folder
    python tools/results/make_results.py --smoke --runs /tmp/r --out /tmp/RESULTS.md   # the pipeline, in minutes

Each job is `python -m sentemb.run -m <overrides> hydra.sweep.dir=<runs>/<section>/<job>` (one method, its seeds
swept); a failing job is logged and the others go on. A job whose folder already holds all its results.json is
skipped (`--force` re-runs it), so an interrupted table continues where it stopped, and `--sections` runs
part of the table while RESULTS.md keeps the sections (and job records, runs/results/jobs.json) of earlier
calls. The Findings are written by a person in experiments/FINDINGS.md and copied in on every rebuild.
The section from the offline base (`backbone=mini_offline`, issue 13) is skipped, saying so in RESULTS.md, when
conf/backbone/<base>.yaml or the model folder is missing, or with `--skip-offline`. Budget arithmetic:
results_plan.py.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]  # the checkout this tool lives in (tools/results/): conf/, runs/, experiments/RESULTS.md
sys.path.insert(0, str(HERE))

from results_plan import SECTIONS, Budget, Job, build_plan, smoke_budget  # noqa: E402
from results_tables import _duration, _git_commit, build_results  # noqa: E402
from zh_plan import ZH, add_zh_arguments, zh_budget_from, zh_jobs  # noqa: E402

ALL_SECTIONS = (*SECTIONS, ZH)  # `make results` runs SECTIONS; the Chinese section has its own command


def offline_base_missing(budget: Budget) -> str | None:
    """Why the offline-base section cannot run here, or None when it can."""
    conf = ROOT / "conf" / "backbone" / f"{budget.base_backbone}.yaml"
    if not conf.is_file():
        return (f"section offline_base skipped: no backbone option {conf.relative_to(ROOT)} in this "
                "checkout (backbone=mini_offline comes with the pretraining issue)")
    folder = base_folder(budget.base_backbone)
    if not (folder / "config.json").is_file():
        return (f"section offline_base skipped: no base model at {folder} (backbone={budget.base_backbone}'s "
                "name_or_path; set SENTEMB_MODELS_DIR, e.g. to ../shared/models, or make it with "
                "`make pretrain-offline`)")
    return None


def base_folder(backbone: str) -> Path:
    """The folder `backbone=<backbone>` loads, resolved as a run resolves it (SENTEMB_MODELS_DIR, else the cache)."""
    from hydra import compose, initialize_config_dir

    import sentemb.conf_resolvers  # noqa: F401  (registers ${sentemb.*:})

    with initialize_config_dir(config_dir=str(ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=[f"backbone={backbone}"])
    return Path(str(cfg.backbone.name_or_path)).expanduser()


def command(job: Job, runs_dir: Path) -> list[str]:
    return [sys.executable, "-m", "sentemb.run", "-m", *job.overrides,
            f"hydra.sweep.dir={runs_dir / job.section / job.name}", "hydra.sweep.subdir=${run_name}_seed${seed}"]


def shown(cmd: list[str]) -> str:
    return " ".join(f"'{c}'" if any(ch in c for ch in "$[],") else c for c in ["python", *cmd[1:]])


def done(job: Job, runs_dir: Path) -> bool:
    folder = runs_dir / job.section / job.name
    return folder.is_dir() and len(list(folder.glob("*/results.json"))) >= job.runs


def run_job(job: Job, runs_dir: Path) -> dict:
    """Run one multirun, its output in <runs>/<section>/<job>.log; returns its record for RESULTS.md."""
    log = runs_dir / job.section / f"{job.name}.log"
    log.parent.mkdir(parents=True, exist_ok=True)
    cmd = command(job, runs_dir)
    start = time.perf_counter()
    with open(log, "w") as fh:
        fh.write(shown(cmd) + "\n\n")
        fh.flush()
        rc = subprocess.run(cmd, cwd=ROOT, stdout=fh, stderr=subprocess.STDOUT).returncode
    wall = time.perf_counter() - start
    print(f"  {job.section}/{job.name}: rc {rc}, {wall:.0f} s (estimate {job.estimate_s:.0f} s)", flush=True)
    return {"rc": rc, "wall_s": round(wall, 1), "log": str(log), "commit": _git_commit()}


def parse_args(argv=None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(prog="make_results.py", description=__doc__.split("\n")[0])
    ap.add_argument("--runs", default=str(ROOT / "runs" / "results"), help="where the run folders go")
    ap.add_argument("--out", default=str(ROOT / "experiments" / "RESULTS.md"))
    ap.add_argument("--sections", default=",".join(SECTIONS), help=f"some of {','.join(ALL_SECTIONS)}")
    ap.add_argument("--findings", default=str(ROOT / "experiments" / "FINDINGS.md"),
                    help="the hand-written Findings section copied into RESULTS.md (kept across rebuilds)")
    ap.add_argument("--smoke", action="store_true", help="tiny_random, 2 steps, one seed, tiny evaluation")
    ap.add_argument("--dry-run", action="store_true", help="print the commands and the estimate; run nothing")
    ap.add_argument("--build-only", action="store_true", help="only rebuild RESULTS.md from the runs there")
    ap.add_argument("--force", action="store_true", help="re-run jobs whose results are already there")
    ap.add_argument("--jobs", help="run only these jobs of the chosen sections (comma list of job names, e.g. "
                    "simcse,cosent_stsb_zh); the others keep their earlier results")
    ap.add_argument("--skip-offline", action="store_true", help="leave out the section from the offline base")
    ap.add_argument("--steps-minilm", type=int, help="training steps from minilm_l6 (unsup sections)")
    ap.add_argument("--steps-base", type=int, help="training steps from the offline base")
    ap.add_argument("--steps-supervised", type=int, help="training steps of the supervised section")
    ap.add_argument("--batch-size", type=int)
    ap.add_argument("--seeds", help="seeds of the 3-seed sections, e.g. 1,2,3")
    ap.add_argument("--sts-trained", choices=("sts_core", "sts"),
                    help="STS evaluation of trained rows: sts (the suite, default) or sts_core (STS-B + SICK-R test only)")
    ap.add_argument("--base-backbone", help="backbone option of the offline-base section (default mini_offline)")
    add_zh_arguments(ap)
    return ap.parse_args(argv)


def budget_from(args: argparse.Namespace) -> Budget:
    budget = smoke_budget() if args.smoke else Budget()
    for name in ("steps_minilm", "steps_base", "steps_supervised", "batch_size", "base_backbone", "sts_trained"):
        if getattr(args, name) is not None:
            setattr(budget, name, getattr(args, name))
    if args.seeds:
        budget.seeds = tuple(int(s) for s in args.seeds.split(","))
    return budget


def only_jobs(plan: list[Job], names: list[str]) -> list[Job]:
    """The jobs of `plan` named in `names` (--jobs), in the plan's order; an unknown name stops the call."""
    unknown = sorted(set(names) - {j.name for j in plan})
    if unknown:
        raise SystemExit(f"--jobs: no job {unknown} in the chosen sections; their jobs: "
                         f"{', '.join(dict.fromkeys(j.name for j in plan))}")
    return [j for j in plan if j.name in names]


def main(argv=None) -> Path | None:
    args = parse_args(argv)
    budget = budget_from(args)
    sections = tuple(s for s in args.sections.split(",") if s)
    unknown = [s for s in sections if s not in ALL_SECTIONS]
    if unknown:
        raise SystemExit(f"--sections: unknown {unknown}; expected some of {ALL_SECTIONS}")
    notes = []
    if "offline_base" in sections and not budget.smoke:
        why = "section offline_base skipped: --skip-offline" if args.skip_offline else offline_base_missing(budget)
        if why and args.dry_run and not args.skip_offline:
            notes.append(why.replace("skipped", "would be skipped") + " (estimated here all the same)")
        elif why:
            print(why, flush=True)
            notes.append(why)
            sections = tuple(s for s in sections if s != "offline_base")
    if budget.smoke:
        notes.append("smoke run: the offline-base section uses tiny_random as its stand-in base")
    runs_dir = Path(args.runs).resolve()
    plan = build_plan(budget, sections)
    if ZH in sections:
        zh_budget = zh_budget_from(args)
        plan += zh_jobs(zh_budget)
        notes.append(f"section zh: {zh_budget.steps} steps of {zh_budget.batch_size} per row, seeds "
                     f"{','.join(map(str, zh_budget.seeds))}, eval.sts_zh.max_pairs={zh_budget.max_pairs}")
    if args.jobs:
        plan = only_jobs(plan, args.jobs.split(","))
    total = sum(j.estimate_s for j in plan)
    if args.dry_run:
        for job in plan:
            print(f"# {job.section}/{job.name}: {job.runs} run(s), ~{job.estimate_s / 60:.1f} min")
            print(shown(command(job, runs_dir)))
        by_section = {s: sum(j.estimate_s for j in plan if j.section == s) for s in dict.fromkeys(j.section for j in plan)}
        for s, sec in by_section.items():
            print(f"# {s}: ~{_duration(sec)}")
        print(f"# total: {len(plan)} jobs, {sum(j.runs for j in plan)} runs, ~{_duration(total)} (estimate)")
        for note in notes:
            print("# " + note)
        return None
    records_file = runs_dir / "jobs.json"
    previous = {(r["section"], r["name"]): r for r in json.loads(records_file.read_text())} \
        if records_file.is_file() else {}
    records = []
    planned = {(j.section, j.name) for j in plan}
    earlier = [r for key, r in previous.items() if key not in planned]  # sections run by an earlier call

    def save_records() -> list[dict]:
        merged = sorted(records + earlier, key=lambda r: ALL_SECTIONS.index(r["section"]))
        runs_dir.mkdir(parents=True, exist_ok=True)
        records_file.write_text(json.dumps(merged, indent=1) + "\n")
        return merged

    print(f"{len(plan)} jobs, {sum(j.runs for j in plan)} runs, estimate {_duration(total)}; runs in {runs_dir}",
          flush=True)
    for job in plan:
        record = {"section": job.section, "name": job.name, "runs": job.runs, "estimate_s": round(job.estimate_s),
                  "command": shown(command(job, runs_dir))}
        if args.build_only or (done(job, runs_dir) and not args.force):
            old = previous.get((job.section, job.name), {})
            record.update({k: old[k] for k in ("rc", "wall_s", "log", "commit") if k in old})
        else:
            record.update(run_job(job, runs_dir))
        records.append(record)
        save_records()  # the resume checkpoint: an interrupted call keeps every record so far
    records = save_records()
    meta = {"command": "make results" if not budget.smoke else "python tools/results/make_results.py --smoke",
            "cpus": os.cpu_count(), "smoke": budget.smoke, "jobs": records, "notes": notes,
            "budget": {k: v for k, v in asdict(budget).items() if k != "smoke"}}
    shown_sections = [s for s in ALL_SECTIONS if s in sections or any(r["section"] == s for r in records)]
    findings = None if budget.smoke else Path(args.findings)
    out = build_results(runs_dir, args.out, meta, shown_sections, findings)
    print(f"wrote {out}")
    return out


if __name__ == "__main__":
    main()
