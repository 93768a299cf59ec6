"""Tables of the runs of runs.sh (and controls.sh): alignment, uniformity, STS-B dev Spearman and the logged
clamp share, per run and per variant against plain SimCSE's seed-to-seed spread.

    python experiments/dcl_hcl_layout/summarize.py OUT_DIR > experiments/dcl_hcl_layout/results.md
Also writes OUT_DIR/figures.json (every run's figures).
"""

from __future__ import annotations

import csv
import json
import re
import statistics
import sys
from pathlib import Path

BASELINE = "in_batch"
ORDER = ("in_batch", "debiased", "hard", "in_batch_tau0.5", "debiased_tau_plus0")


def run_figures(folder: Path) -> dict[str, float | None]:
    metrics = json.loads((folder / "results.json").read_text())["metrics"]
    rows = list(csv.DictReader((folder / "csv" / "metrics.csv").open()))
    clamped = [float(r["train/sampler/clamped"]) for r in rows if r.get("train/sampler/clamped")]
    return {"align": metrics["test/align"], "uniform": metrics["test/uniform"],
            "stsb_dev": metrics["val/stsb_spearman"], "steps": len(clamped) or None,
            "clamped_mean": statistics.mean(clamped) if clamped else None,
            "clamped_max": max(clamped) if clamped else None}


def main(out: Path) -> None:
    runs: dict[str, dict[int, dict]] = {}
    for folder in sorted(out.iterdir()):
        match = re.fullmatch(r"(.+)_seed(\d+)", folder.name)
        if folder.is_dir() and match and (folder / "results.json").is_file():
            runs.setdefault(match[1], {})[int(match[2])] = run_figures(folder)
    names = sorted(runs, key=lambda n: ORDER.index(n) if n in ORDER else len(ORDER))
    (out / "figures.json").write_text(json.dumps(runs, indent=1))
    print("| variant | seed | align | uniform | STS-B dev | clamped share (mean / max over the logged steps) |")
    print("|---|---|---|---|---|---|")
    for name in names:
        for seed, f in sorted(runs[name].items()):
            clamp = "not logged (no DCL term)" if f["clamped_mean"] is None else \
                f"{f['clamped_mean']:.3f} / {f['clamped_max']:.3f} ({f['steps']} steps)"
            print(f"| {name} | {seed} | {f['align']:.4f} | {f['uniform']:.4f} | {f['stsb_dev']:.2f} | {clamp} |")
    print()
    base = runs[BASELINE]
    spread = {k: max(f[k] for f in base.values()) - min(f[k] for f in base.values()) for k in ("align", "uniform")}
    mean0 = {k: statistics.mean(f[k] for f in base.values()) for k in ("align", "uniform")}
    print(f"SimCSE ({BASELINE}) seed-to-seed spread (max - min over its seeds): align {spread['align']:.4f}, "
          f"uniform {spread['uniform']:.4f}")
    print()
    print("| variant | align: mean [min, max] | uniform: mean [min, max] | STS-B dev mean | abs(mean - SimCSE's "
          "mean): align / uniform | beyond SimCSE's spread |")
    print("|---|---|---|---|---|---|")
    for name in names:
        vals = {k: [f[k] for f in runs[name].values()] for k in ("align", "uniform", "stsb_dev")}
        diff = {k: abs(statistics.mean(vals[k]) - mean0[k]) for k in ("align", "uniform")}
        beyond = [k for k in ("align", "uniform") if diff[k] > spread[k]] if name != BASELINE else []
        cells = [f"{statistics.mean(vals[k]):.4f} [{min(vals[k]):.4f}, {max(vals[k]):.4f}]"
                 for k in ("align", "uniform")]
        print(f"| {name} | {cells[0]} | {cells[1]} | {statistics.mean(vals['stsb_dev']):.2f} | "
              f"{diff['align']:.4f} / {diff['uniform']:.4f} | {', '.join(beyond) or '-'} |")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
