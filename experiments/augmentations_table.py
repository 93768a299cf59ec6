"""Markdown table of the runs of experiments/augmentations_runs.sh: STS-B test, SICK-R test, STS-B dev,
alignment and uniformity (STS-B dev), training time.   python experiments/augmentations_table.py [runs/augmentations]
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

COLUMNS = [("STS-B test", "test/stsb"), ("SICK-R test", "test/sickr"), ("STS-B dev", "val/stsb_spearman"),
           ("align", "val/align"), ("uniform", "val/uniform")]


def main(folder: Path) -> None:
    print("| augment | " + " | ".join(c for c, _ in COLUMNS) + " | steps | train s |")
    print("|---" * (len(COLUMNS) + 3) + "|")
    for results in sorted(folder.glob("*/results.json")):
        r = json.loads(results.read_text())
        m = r["metrics"]
        cells = ["-" if k not in m else f"{m[k]:.2f}" if k.startswith(("test/", "val/stsb")) else f"{m[k]:.3f}"
                 for _, k in COLUMNS]
        print(f"| {results.parent.name} | " + " | ".join(cells) +
              f" | {r.get('global_step', '-')} | {r.get('train_seconds', '-')} |")


if __name__ == "__main__":
    main(Path(sys.argv[1] if len(sys.argv) > 1 else "runs/augmentations"))
