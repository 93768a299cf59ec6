"""`python -m sentemb.report PATH... [--out DIR]`: compare runs in a markdown table and PNG plots.

Each PATH is a run folder (holding results.json) or any folder above run folders (a multirun sweep, a
`runs/` tree): every results.json below it is one row. A run is labelled by the Hydra overrides that differ
between the runs found (from `.hydra/overrides.yaml`), else by its folder. Writes into DIR (default: the one
PATH when it is a folder, else ./report):
    report.md                one table per task group (one row per run, one column per score; the best of each
                             column in bold: lowest for alignment/uniformity, highest otherwise; std as ± when
                             the run has `<score>_std`)
    report_scores.png        the main score of each task, one bar per run
    report_align_uniform.png SimCSE's alignment-vs-uniformity figure over training (runs with dev_history.jsonl)
    report_stsb_dev.png      STS-B dev Spearman over training
    report_sweep.png         main scores against the swept setting, when exactly one numeric setting varies
"""

from __future__ import annotations

import argparse
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from sentemb.data.errors import DataFormatError
from sentemb.errors import MissingFileError, report_user_errors
from sentemb.evaluation.plots import (
    plot_align_uniform,
    plot_dev_curves,
    plot_scores,
    plot_sweep,
    read_history,
)

__all__ = ["RunRecord", "aggregate_seeds", "find_runs", "main", "markdown_table", "markdown_tables", "write_report"]

GROUPS = (("dev (STS-B)", "val/"), ("Chinese STS", "test/sts_zh_"), ("clustering", "test/clustering_"),
          ("intent", "test/intent_"), ("alignment/uniformity", "test/align"), ("alignment/uniformity", "test/uniform"),
          ("STS", "test/"))
MAIN_SCORES = ("val/stsb_spearman", "test/sts_avg", "test/stsb", "test/clustering_avg_acc", "test/intent_avg_full",
               "test/intent_avg_10shot", "test/sts_zh_avg")
LOWER_IS_BETTER = ("align", "uniform")
COLUMN_PREFIXES = ("test/sts_zh_", "test/clustering_", "test/intent_")
INFO_KEYS = ("config_name", "method", "backbone", "seed", "global_step", "train_seconds")


@dataclass
class RunRecord:
    """One run folder: its flat metrics (results.json "metrics"), overrides and dev history."""

    path: Path
    metrics: dict[str, float]
    overrides: list[str] = field(default_factory=list)
    history: list[dict] = field(default_factory=list)
    label: str = ""
    info: dict = field(default_factory=dict)  # results.json's config_name, method, backbone, seed, global_step...


def _load_run(folder: Path) -> RunRecord:
    try:
        results = json.loads((folder / "results.json").read_text())
    except json.JSONDecodeError as err:
        raise DataFormatError(f"{folder / 'results.json'}:{err.lineno}: not valid JSON ({err.msg}); "
                              "a run still writing it, or a damaged file: rerun it or leave it out") from None
    metrics = {k: float(v) for k, v in results.get("metrics", {}).items() if isinstance(v, int | float)}
    overrides_file = folder / ".hydra" / "overrides.yaml"
    overrides = [str(o) for o in (yaml.safe_load(overrides_file.read_text()) or [])] if overrides_file.is_file() else []
    history_file = folder / "dev_history.jsonl"
    history = read_history(history_file) if history_file.is_file() else []
    info = {k: results[k] for k in INFO_KEYS if k in results}
    return RunRecord(folder, metrics, overrides, history, info=info)


def find_runs(paths: Sequence[str | Path]) -> list[RunRecord]:
    """Every run folder at or below `paths` (sorted by path within each), labelled by its varying overrides."""
    folders: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_file() and path.name == "results.json":
            path = path.parent
        if not path.exists():
            raise MissingFileError(f"no such run or sweep folder: '{path}'")
        found = [path] if (path / "results.json").is_file() else sorted(p.parent for p in path.rglob("results.json"))
        folders += [f for f in found if f not in folders]
    if not folders:
        raise MissingFileError(f"no results.json at or below {[str(p) for p in paths]}")
    runs = [_load_run(f) for f in folders]
    varying = {o.split("=", 1)[0] for r in runs for o in r.overrides
               if any(o not in other.overrides for other in runs)}
    names = [f.name for f in folders]
    for run in runs:
        label = ", ".join(o for o in run.overrides if o.split("=", 1)[0] in varying)
        run.label = label or (run.path.name if names.count(run.path.name) == 1 else str(run.path))
    return runs


def _group(metric: str) -> str:
    if not metric.startswith(("val/", "test/")):
        return "other"
    return next(name for name, prefix in GROUPS if metric.startswith(prefix))


def _column(metric: str) -> str:
    """The column header: the metric without its group prefix (`test/clustering_avg_acc` -> `avg_acc`)."""
    prefix = next((p for p in COLUMN_PREFIXES if metric.startswith(p)), None)
    return metric[len(prefix):] if prefix else metric.split("/", 1)[-1]


def _number(value: float, fine: bool) -> str:
    """2 decimals for scores x100; 4 for alignment/uniformity, or 3 significant digits when that shows 0."""
    if fine and value != 0 and abs(value) < 1e-3:
        return f"{value:.3g}"
    return f"{value:.4f}" if fine else f"{value:.2f}"


def markdown_tables(runs: Sequence[RunRecord]) -> str:
    """One markdown table per task group; the best value of each column in bold."""
    metrics = list(dict.fromkeys(m for r in runs for m in r.metrics if not m.endswith("_std")))
    groups: dict[str, list[str]] = {}
    for metric in metrics:
        groups.setdefault(_group(metric), []).append(metric)
    order = [name for name, _ in GROUPS] + ["other"]
    out = []
    for group, cols in sorted(groups.items(), key=lambda item: order.index(item[0])):
        best = {}
        for m in cols:
            values = [r.metrics[m] for r in runs if m in r.metrics and not math.isnan(r.metrics[m])]
            if values:
                best[m] = min(values) if _column(m).endswith(LOWER_IS_BETTER) else max(values)
        lines = [f"### {group}", "", "| run | " + " | ".join(_column(m) for m in cols) + " |",
                 "|---|" + "---:|" * len(cols)]
        for run in runs:
            cells = []
            for m in cols:
                if m not in run.metrics:
                    cells.append("")
                    continue
                text = _number(run.metrics[m], _column(m).endswith(LOWER_IS_BETTER))
                if f"{m}_std" in run.metrics:
                    text += " ± " + _number(run.metrics[m + "_std"], _column(m).endswith(LOWER_IS_BETTER))
                cells.append(f"**{text}**" if len(runs) > 1 and run.metrics[m] == best.get(m) else text)
            lines.append(f"| {run.label} | " + " | ".join(cells) + " |")
        out.append("\n".join(lines))
    return "\n\n".join(out) + "\n"


def aggregate_seeds(runs: Sequence[RunRecord], key=None) -> list[RunRecord]:
    """One record per group of runs that differ only by seed: each metric's mean over the runs, and as
    `<metric>_std` its sample standard deviation (n - 1) over them when there are several (a run's own
    `<metric>_std`, e.g. over K-means seeds, is kept only for a group of one). Groups follow `key(run)`
    (default: results.json's config_name, else the label), in the order first seen; `info` gains
    `n_runs` and `seeds`.
    """
    key = key or (lambda r: r.info.get("config_name") or r.label)
    groups: dict[str, list[RunRecord]] = {}
    for run in runs:
        groups.setdefault(str(key(run)), []).append(run)
    out = []
    for name, members in groups.items():
        if len(members) == 1:
            metrics = dict(members[0].metrics)
        else:
            metrics = {}
            names = dict.fromkeys(m for r in members for m in r.metrics if not m.endswith("_std"))
            for m in names:
                values = [r.metrics[m] for r in members if m in r.metrics]
                mean = sum(values) / len(values)
                metrics[m] = mean
                if len(values) > 1:
                    std = math.sqrt(sum((v - mean) ** 2 for v in values) / (len(values) - 1))
                    metrics[f"{m}_std"] = std if std > 1e-9 * max(1.0, abs(mean)) else 0.0  # rounding noise
        info = {**members[0].info, "n_runs": len(members), "seeds": [r.info.get("seed") for r in members]}
        out.append(RunRecord(members[0].path.parent if len(members) > 1 else members[0].path, metrics,
                             members[0].overrides, members[0].history, label=name, info=info))
    return out


def markdown_table(runs: Sequence[RunRecord], metrics: Sequence[str], headers: Sequence[str] | None = None,
                   first_header: str = "run") -> str:
    """One markdown table: a row per run (its label), the given metrics as columns (`headers` names them;
    default: the metric without its group prefix), `<metric>_std` as ± when present, the best of each column
    in bold (lowest for alignment/uniformity); an empty cell where a run lacks a metric."""
    headers = list(headers) if headers is not None else [_column(m) for m in metrics]
    if len(headers) != len(metrics):
        raise ValueError(f"markdown_table: {len(metrics)} metrics but {len(headers)} headers")
    lines = [f"| {first_header} | " + " | ".join(headers) + " |", "|---|" + "---:|" * len(metrics)]
    best = {}
    for m in metrics:
        values = [r.metrics[m] for r in runs if m in r.metrics and not math.isnan(r.metrics[m])]
        if len(values) > 1:
            best[m] = min(values) if _column(m).endswith(LOWER_IS_BETTER) else max(values)
    for run in runs:
        cells = []
        for m in metrics:
            if m not in run.metrics:
                cells.append("")
                continue
            fine = _column(m).endswith(LOWER_IS_BETTER)
            text = _number(run.metrics[m], fine)
            if f"{m}_std" in run.metrics:
                text += " ± " + _number(run.metrics[f"{m}_std"], fine)
            cells.append(f"**{text}**" if run.metrics[m] == best.get(m) else text)
        lines.append(f"| {run.label} | " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def _sweep_setting(runs: Sequence[RunRecord]) -> tuple[str, list[float]] | None:
    """(key, one value per run) when exactly one override varies between the runs and it is numeric."""
    settings = [dict(o.split("=", 1) for o in r.overrides if "=" in o) for r in runs]
    keys = sorted(set().union(*settings))
    varying = [k for k in keys if len({s.get(k) for s in settings}) > 1]
    if len(varying) != 1:
        return None
    try:
        return varying[0], [float(s[varying[0]]) for s in settings]
    except (KeyError, ValueError):
        return None


def _shown(path: Path, out: Path) -> str:
    try:
        return str(path.resolve().relative_to(out.resolve()))
    except ValueError:
        return str(path)


def write_report(paths: Sequence[str | Path], out: str | Path | None = None) -> dict[str, Path]:
    """Write report.md and the PNG plots for the runs at or below `paths`; returns {name: file}."""
    runs = find_runs(paths)
    if out is None:
        out = Path(paths[0]) if len(paths) == 1 and Path(paths[0]).is_dir() else Path("report")
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    files: dict[str, Path] = {}
    main = [m for m in MAIN_SCORES if any(m in r.metrics for r in runs)]
    if main:
        files["scores"] = plot_scores({r.label: r.metrics for r in runs}, main, out / "report_scores.png")
    histories = {r.label: r.history for r in runs if r.history}
    if histories:
        files["align_uniform"] = plot_align_uniform(histories, out / "report_align_uniform.png")
        files["stsb_dev"] = plot_dev_curves(histories, out / "report_stsb_dev.png")
    sweep = _sweep_setting(runs)
    if sweep and main:
        key, values = sweep
        files["sweep"] = plot_sweep(values, {m: [r.metrics.get(m, math.nan) for r in runs] for m in main}, key,
                                    out / "report_sweep.png")
    lines = [f"# sentemb report: {len(runs)} run(s)", "", "Runs (label: folder):", ""]
    lines += [f"- `{r.label}`: {_shown(r.path, out)}" for r in runs]
    lines += ["", markdown_tables(runs)]
    lines += [f"![{name}]({path.name})" for name, path in files.items()]
    files["markdown"] = out / "report.md"
    files["markdown"].write_text("\n".join(lines) + "\n")
    return files


def main(argv: Sequence[str] | None = None) -> dict[str, Path]:
    parser = argparse.ArgumentParser(prog="python -m sentemb.report", description=__doc__.split("\n")[0])
    parser.add_argument("paths", nargs="+", help="run folders, sweep folders or folders above them")
    parser.add_argument("--out", default=None, help="output folder (default: the one PATH, else ./report)")
    parser.add_argument("--debug", action="store_true", help="show the traceback of an input error too")
    args = parser.parse_args(argv)
    with report_user_errors("sentemb.report", debug=args.debug):
        files = write_report(args.paths, args.out)
    print(files["markdown"].read_text())
    for name, path in files.items():
        print(f"{name}: {path}")
    return files


if __name__ == "__main__":
    main()
