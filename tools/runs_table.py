"""Markdown tables of a folder of runs (one sub-folder with results.json per run): the STS suite with
alignment and uniformity, and, where the runs have them, the clustering scores.

    python tools/runs_table.py runs/augmentations            # experiments/augmentations/runs.sh
    python tools/runs_table.py runs/samplers_vascl           # experiments/samplers_vascl/runs.sh
    python tools/runs_table.py runs/pretrain_compare --seeds # folders NAME_s1, NAME_s2 ... -> mean ± std

With --seeds, runs whose folder names differ only by a `_s<seed>` suffix become one row: each score's mean
and, as ±, its sample standard deviation over the seeds (the row is labelled NAME (n=3)).
"""

from __future__ import annotations

import json
import re
import statistics
import sys
from pathlib import Path

from sentemb.report import RunRecord, aggregate_seeds

STS = [("STS12", "sts12"), ("STS13", "sts13"), ("STS14", "sts14"), ("STS15", "sts15"), ("STS16", "sts16"),
       ("STS-B", "stsb"), ("SICK-R", "sickr"), ("avg", "sts_avg")]
SETS = [("StackOverflow", "stackoverflow"), ("Biomedical", "biomedical"), ("SearchSnippets", "searchsnippets"),
        ("avg", "avg")]


def cell(metrics: dict, key: str, digits: int = 2) -> str:
    value = metrics.get(key)
    if value is None:
        return "-"
    std = metrics.get(key + "_std")
    return f"{value:.{digits}f}" + (f" ± {std:.{digits}f}" if std is not None else "")


def seedless(name: str) -> str:
    return re.sub(r"_s\d+$", "", name)


def by_seed(runs: list[tuple[str, dict]]) -> list[tuple[str, dict]]:
    """Runs named NAME_s<seed> -> one (NAME (n=k), mean metrics with <metric>_std) per NAME, in order seen
    (`sentemb.report.aggregate_seeds` over the folder names without their seed suffix)."""
    records = [RunRecord(Path(name), r["metrics"], label=name) for name, r in runs]
    out = []
    for row in aggregate_seeds(records, key=lambda record: seedless(record.label)):
        members = [r for name, r in runs if seedless(name) == row.label]
        steps = "/".join(map(str, sorted({r.get("global_step") for r in members}, key=str)))
        seconds = [r["train_seconds"] for r in members if r.get("train_seconds") is not None]
        out.append((f"{row.label} (n={row.info['n_runs']})", {"metrics": row.metrics, "global_step": steps,
                    "train_seconds": round(statistics.fmean(seconds), 1) if seconds else None}))
    return out


def main(folder: Path, seeds: bool = False) -> None:
    runs = [(p.parent.name, json.loads(p.read_text())) for p in sorted(folder.glob("*/results.json"))]
    if seeds:
        runs = by_seed(runs)
    print("| run | " + " | ".join(name for name, _ in STS) + " | align | uniform | STS-B dev | steps | train s |")
    print("|---" * (len(STS) + 6) + "|")
    for name, r in runs:
        m = r["metrics"]
        cells = [cell(m, f"test/{key}") for _, key in STS]
        cells += [cell(m, "test/align", 4), cell(m, "test/uniform", 4), cell(m, "val/stsb_spearman")]
        print(f"| {name} | " + " | ".join(cells) + f" | {r.get('global_step', '-')} | {r.get('train_seconds', '-')} |")
    clustered = [(name, r["metrics"]) for name, r in runs if "test/clustering_avg_nmi" in r["metrics"]]
    if not clustered:
        return
    print("\nClustering (x100; mean ± std over K-means seeds):\n")
    print("| run | " + " | ".join(f"{s} ACC / NMI / ARI" for s, _ in SETS) + " |")
    print("|---" * (len(SETS) + 1) + "|")
    for name, m in clustered:
        cells = [" / ".join(cell(m, f"test/clustering_{key}_{metric}") for metric in ("acc", "nmi", "ari"))
                 for _, key in SETS]
        print(f"| {name} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    args = [a for a in sys.argv[1:] if a != "--seeds"]
    main(Path(args[0] if args else "runs/augmentations"), seeds="--seeds" in sys.argv[1:])
