"""Markdown tables of a folder of runs (one sub-folder with results.json per run): the STS suite with
alignment and uniformity, and, where the runs have them, the clustering scores.

    python experiments/runs_table.py runs/augmentations            # experiments/augmentations_runs.sh
    python experiments/runs_table.py runs/samplers_vascl           # experiments/samplers_vascl_runs.sh
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

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


def main(folder: Path) -> None:
    runs = [(p.parent.name, json.loads(p.read_text())) for p in sorted(folder.glob("*/results.json"))]
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
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/augmentations"))
