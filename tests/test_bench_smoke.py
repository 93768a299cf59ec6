"""Smoke runs of experiments/bench/bench_vs_st.py and gpu_bench.py (issues 9, 23): they work end to end on the
tiny random BERT; their speed is not checked."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from sentemb.encoder.sentence_encoder import SentenceEncoder

BENCH = Path(__file__).resolve().parents[1] / "experiments" / "bench"


def run_script(args: list[str], data_dir: Path) -> None:
    env = {**os.environ, "SENTEMB_DATA_DIR": str(data_dir), "TOKENIZERS_PARALLELISM": "false", "OMP_NUM_THREADS": "1"}
    proc = subprocess.run([sys.executable, *args], capture_output=True, text=True, env=env, timeout=900)
    assert proc.returncode == 0, proc.stderr[-3000:]


def check_summary(summary: dict, systems: tuple[str, ...]) -> None:
    for system in systems:
        medians = summary["medians"][system]
        assert medians["sentences_per_s"] > 0 and medians["train_max_rss_mib"] > 0
        assert -100 <= medians["stsb_dev"] <= 100
    assert summary["encode"]["sentences"] == 2551  # the unique STS-B test sentences
    assert summary["encode"]["tokens"] > summary["encode"]["sentences"]
    assert summary["encode"]["max_abs_diff"] < 1e-5  # identical embeddings from both systems (float32)
    assert summary["train_speedup_vs_st"] > 0 and summary["encode_speedup_vs_st"] > 0
    assert 0 < summary["fraction_of_matmul_peak"] < 1 and 0 < summary["encode_fraction_of_matmul_peak"] < 1


def test_benchmark_smoke(tiny_backbone_factory, shared_data_dir, tmp_path):
    model = SentenceEncoder(tiny_backbone_factory(), "mean", max_length=256).save(tmp_path / "tiny")
    out = tmp_path / "bench.json"
    run_script([str(BENCH / "bench_vs_st.py"), "--model", str(model), "--lines", "128", "--rounds", "1",
                "--systems", "sentemb,sentemb-nosub,st", "--out", str(out)], shared_data_dir)
    summary = json.loads(out.read_text())
    check_summary(summary, ("sentemb", "sentemb-nosub", "st"))
    runs = summary["runs"]
    assert runs["sentemb"][0]["system"] == "sentemb" and runs["sentemb-nosub"][0]["system"].endswith("=None")
    # the same data, seed and math: sub-batching changes dropout draws only, not what is learnt on average
    assert abs(summary["medians"]["sentemb"]["stsb_dev"] - summary["medians"]["sentemb-nosub"]["stsb_dev"]) < 5


def test_gpu_benchmark_smoke_on_cpu(shared_data_dir, tmp_path):
    out = tmp_path / "gpu_bench.json"
    run_script([str(BENCH / "gpu_bench.py"), "--device", "cpu", "--tiny", "--out", str(out)], shared_data_dir)
    summary = json.loads(out.read_text())
    check_summary(summary, ("sentemb", "st"))
    assert summary["matmul_dtype"] == "fp32" and summary["model"] == "tiny BERT"
    assert summary["precision"] == "32-true" and summary["encode"]["precision"] == "fp32"


def test_padding_count_smoke(shared_data_dir):
    env = {**os.environ, "SENTEMB_DATA_DIR": str(shared_data_dir), "TOKENIZERS_PARALLELISM": "false"}
    proc = subprocess.run([sys.executable, str(BENCH / "padding_count.py"), "--lines", "640"], capture_output=True,
                          text=True, env=env, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    counts = json.loads(proc.stdout)
    train, encode = counts["train"], counts["encode"]
    assert train["batches"] == 10
    for setting in ("auto", 4, 8):
        assert train["real_per_batch"] <= train[f"sub_batches={setting}"]["computed_per_batch"] < train["whole_per_batch"]
    assert encode["real"] <= encode["by_tokens_sub_batches_auto"] < encode["by_tokens_whole_batches"]
    assert encode["by_tokens_whole_batches"] < encode["peer_by_characters"]
