"""Table of the runs of experiments/vascl_release/runs.sh: STS-B dev, alignment / uniformity (STS-B dev) of
the final encoder, and from each run's metrics.csv the loss terms and the activity of each VaSCL term
(mean over the steps; first -> last step for the losses).

    python experiments/vascl_release/table.py runs/vascl_release
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path


def series(rows: list[dict], key: str) -> list[float]:
    return [float(r[key]) for r in rows if r.get(key)]


def describe(folder: Path) -> dict:
    metrics = json.loads((folder / "results.json").read_text())["metrics"]
    with open(folder / "csv" / "metrics.csv") as fh:
        rows = list(csv.DictReader(fh))
    out = {"run": folder.name, "stsb_dev": metrics["val/stsb_spearman"], "align": metrics["val/align"],
           "uniform": metrics["val/uniform"]}
    # runs of commit b85292d logged the terms as train/vascl/<term> and train/vascl_<term>_active
    for key, old in (("train/loss", None), ("train/loss/vascl_pairwise", "train/vascl/pairwise"),
                     ("train/loss/vascl_virtual", "train/vascl/virtual")):
        s = series(rows, key) or (series(rows, old) if old else [])
        out[key] = f"{s[0]:.3g} -> {s[-1]:.3g}" if s else "-"
    for name in ("pairwise", "virtual", "perturbation"):
        s = series(rows, f"train/loss/vascl_{name}_active") or series(rows, f"train/vascl_{name}_active")
        out[f"{name}_active"] = f"{sum(s) / len(s):.2f}" if s else "-"
    return out


def main(root: str) -> None:
    runs = [describe(p) for p in sorted(Path(root).iterdir()) if (p / "csv" / "metrics.csv").is_file()]
    cols = list(runs[0])
    print("| " + " | ".join(cols) + " |")
    print("|" + "---|" * len(cols))
    for r in runs:
        print("| " + " | ".join(f"{r[c]:.2f}" if c == "stsb_dev" else f"{r[c]:.4f}" if isinstance(r[c], float)
                                else str(r[c]) for c in cols) + " |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "runs/vascl_release")
