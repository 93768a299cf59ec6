"""Summarise experiments/arccse_triplet/runs.sh: weights of ArcCSE vs its margin-only ablation, the triplet
term's logged activity per step, each run's activity record and any inert-term warning.

    python experiments/arccse_triplet/compare.py /tmp/arccse_triplet
"""

from __future__ import annotations

import csv
import json
import sys
from pathlib import Path

from safetensors.torch import load_file


def main(out: Path) -> None:
    a = load_file(str(out / "arccse" / "model" / "model.safetensors"))
    b = load_file(str(out / "margin_only" / "model" / "model.safetensors"))
    diffs = {k: (a[k].double() - b[k].double()).abs().max().item() for k in a}
    changed = sum(d > 0 for d in diffs.values())
    print(f"arccse vs margin_only: {changed}/{len(diffs)} tensors differ, max |diff| {max(diffs.values()):.3e}")
    for name in ("arccse", "margin_only", "simcse", "simcse_mlm"):
        rows = list(csv.DictReader((out / name / "csv" / "metrics.csv").open()))
        active = {k for row in rows for k in row if k.endswith("_active")}
        for key in sorted(active):
            steps = [(int(r["step"]), float(r[key])) for r in rows if r.get(key) not in (None, "")]
            print(f"{name}: {key} per step " + ", ".join(f"{s}:{v:.3f}" for s, v in steps))
        for key in ("train/aux/triplet", "train/aux/mlm"):
            values = [float(r[key]) for r in rows if r.get(key) not in (None, "")]
            if values:
                print(f"{name}: {key} per step " + ", ".join(f"{v:.5f}" for v in values))
        result = json.loads((out / name / "results.json").read_text())
        au = result["results"]["align_uniform"]
        print(f"{name}: activity {json.dumps(result.get('activity'))}; align {au['align']:.4f} "
              f"uniform {au['uniform']:.4f}")
        warned = [line for line in (out / f"{name}.log").read_text().splitlines() if "has done nothing" in line]
        print(f"{name}: inert-term warnings: {len(warned)}" + "".join(f"\n    {w}" for w in warned))


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/arccse_triplet"))
