"""GPU check: every main method for a few steps under hardware=gpu, gpu_bf16 and 1-GPU ddp (and fsdp on 1 GPU),
through `python -m sentemb.run`, on MiniLM and the data shipped in the shared data folder.

    python experiments/gpu_check/check.py [--steps 30] [--out runs/gpu_check]

Writes runs/gpu_check/<hardware>/<model>/ and prints (and saves to experiments/gpu_check/results.md) a table:
exit code, steps done, seconds, the final STS-B dev Spearman and whether results.json was written once.
About 15 runs of 30 steps on minilm_l6: a few minutes on one GPU.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
HARDWARE = {"gpu": ["hardware=gpu"], "gpu_bf16": ["hardware=gpu_bf16"], "ddp_1gpu": ["hardware=ddp", "trainer.devices=1"],
            "fsdp_1gpu": ["hardware=fsdp", "trainer.devices=1"]}
MODELS = {
    "simcse_unsup": ["model=simcse_unsup"],
    "simcse_sup": ["model=simcse_sup"],
    "supcon": ["model=supcon"],
    "arccse": ["model=arccse"],
    "vascl": ["model=vascl"],
}
MAIN_HARDWARE_ONLY = {"fsdp_1gpu": ["simcse_unsup"]}  # FSDP: one method is enough to see it start and step


def run(hardware: list[str], model: list[str], steps: int, out: Path) -> dict:
    cmd = [sys.executable, "-m", "sentemb.run", *model, *hardware, f"trainer.max_steps={steps}", "logger=csv",
           "eval=align_uniform", "callbacks.sts_dev.every_n_steps=1000", "data.batch_size=64",
           f"hydra.run.dir={out}"]
    start = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    output = proc.stdout + proc.stderr
    out.mkdir(parents=True, exist_ok=True)
    (out / "check_output.txt").write_text(output)
    results = json.loads((out / "results.json").read_text()) if (out / "results.json").is_file() else {}
    return {"rc": proc.returncode, "steps": results.get("global_step"), "seconds": round(seconds, 1),
            "stsb_dev": results.get("metrics", {}).get("val/stsb_spearman"),
            "written_once": output.count("results: ") == 1, "tail": output[-400:] if proc.returncode else ""}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--out", default="runs/gpu_check")
    args = parser.parse_args()
    rows = ["| hardware | model | exit | steps | seconds | STS-B dev | results.json once |", "|---|---|---|---|---|---|---|"]
    failed = []
    for hw_name, hw in HARDWARE.items():
        for name, model in MODELS.items():
            if name not in MAIN_HARDWARE_ONLY.get(hw_name, MODELS):
                continue
            r = run(hw, model, args.steps, Path(args.out) / hw_name / name)
            dev = f"{r['stsb_dev']:.2f}" if r["stsb_dev"] is not None else "-"
            rows.append(f"| {hw_name} | {name} | {r['rc']} | {r['steps']} | {r['seconds']} | {dev} | {r['written_once']} |")
            print(rows[-1], flush=True)
            if r["rc"]:
                failed.append(f"{hw_name}/{name}: {r['tail']}")
    table = "\n".join(rows)
    (HERE / "results.md").write_text(f"Command: python experiments/gpu_check/check.py --steps {args.steps}\n\n{table}\n")
    print(table)
    if failed:
        sys.exit("failed:\n" + "\n".join(failed))


if __name__ == "__main__":
    main()
