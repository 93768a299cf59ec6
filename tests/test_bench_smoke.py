"""Smoke run of experiments/bench/bench_vs_st.py (issue 9): it works end to end; its speed is not checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sentemb.encoder.sentence_encoder import SentenceEncoder

BENCH = Path(__file__).resolve().parents[1] / "experiments" / "bench" / "bench_vs_st.py"


def test_benchmark_smoke(tiny_backbone_factory, shared_data_dir, tmp_path):
    model = SentenceEncoder(tiny_backbone_factory(), "mean", max_length=256).save(tmp_path / "tiny")
    out = tmp_path / "bench.json"
    env = {**os.environ, "SENTEMB_DATA_DIR": str(shared_data_dir), "TOKENIZERS_PARALLELISM": "false",
           "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, str(BENCH), "--model", str(model), "--lines", "128", "--rounds", "1",
                           "--out", str(out)], capture_output=True, text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    summary = json.loads(out.read_text())
    for system in ("sentemb", "st"):
        medians = summary["medians"][system]
        assert medians["sentences_per_s"] > 0 and medians["train_max_rss_mib"] > 0
        assert -100 <= medians["stsb_dev"] <= 100
    assert summary["encode"]["sentences"] == 2551  # the unique STS-B test sentences
    assert summary["encode"]["max_abs_diff"] < 1e-5  # identical embeddings from both systems
    assert summary["train_speedup_vs_st"] > 0 and 0 < summary["fraction_of_matmul_peak"] < 1
