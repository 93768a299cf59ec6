"""sentemb vs sentence-transformers on the same machine: training and encoding throughput, peak memory.

    .venv/bin/python experiments/bench/bench_vs_st.py [--lines 1280] [--rounds 3] [--model PATH] [--out FILE]

Training: unsupervised SimCSE from the same weights, batch 64, max_len 32, lr 3e-5, tau 0.05 (scale 20),
the first `--lines` sentences of wiki1m_head.txt, one epoch. sentemb runs its default module (dropout pairs
in one forward pass, InfoNCE) through Lightning; sentence-transformers runs its own recipe
(MultipleNegativesRankingLoss on (s, s) pairs with SentenceTransformerTrainer). Each run is a fresh
subprocess (max RSS is per process); the systems alternate for `--rounds` rounds; medians are reported,
with the STS-B dev Spearman of each trained model beside the speed.

Encoding: SentenceEncoder.encode vs SentenceTransformer.encode on the STS-B test sentences, batch 128,
both L2-normalised, outputs compared (max abs difference).

Efficiency: the machine's float32 matrix-product rate is measured here (2048^3 GEMMs); the training step's
rate is 6 x non-embedding parameters x tokens (+ attention) per second; the fraction is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

BATCH, MAX_LEN, LR, TAU = 64, 32, 3e-5, 0.05
GROUP_BY_LENGTH = 50  # sentemb-grouped: batches per length-sorting window (data.group_by_length)


def wiki_lines(n: int) -> list[str]:
    from sentemb.data.text_reader import read_text_lines
    from sentemb.paths import data_dir

    return read_text_lines(data_dir() / "en" / "wiki1m_head.txt", max_lines=n).sentences


def dev_score(encode) -> float:
    from sentemb.evaluation.dev_callback import STSBDevScorer
    from sentemb.paths import data_dir

    return STSBDevScorer(data_dir())(encode)["stsb_spearman"]


def max_rss_mib() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024


def memory_after_training() -> dict:
    """Peak host RSS up to the end of training (before the dev evaluation), and the GPU's peak allocation."""
    import torch

    out = {"train_max_rss_mib": max_rss_mib()}
    if torch.cuda.is_available():
        out["cuda_peak_mib"] = torch.cuda.max_memory_allocated() // 2**20
    return out


def device_of(accelerator: str) -> str:
    return "cuda" if accelerator == "gpu" else "cpu"


def train_sentemb(model_path: str, n: int, compile_model: bool, accelerator: str, precision: str,
                  group_by_length: int = 0) -> dict:
    import lightning as L
    import torch

    from sentemb.data.batches import DropoutPairBuilder
    from sentemb.data.datamodule import TextDataModule
    from sentemb.encoder.backbone import load_backbone
    from sentemb.losses.infonce import InfoNCELoss
    from sentemb.methods.contrastive import ContrastiveModule
    from sentemb.samplers.in_batch import InBatchSampler

    L.seed_everything(42, verbose=False)
    module = ContrastiveModule(load_backbone(model_path), InfoNCELoss(TAU), InBatchSampler(), pooling="mean", lr=LR)
    if compile_model:
        module.encoder.model = torch.compile(module.encoder.model, dynamic=True)
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "lines.txt"
        lines.write_text("\n".join(wiki_lines(n)) + "\n")
        dm = TextDataModule(lines, module.encoder.tokenizer, DropoutPairBuilder, batch_size=BATCH,
                            max_length=MAX_LEN, cache_dir=None, group_by_length=group_by_length)
        dm.setup("fit")
        tokens = sum(len(t) for t in dm.train_set.token_lists) * 2  # two views
        trainer = L.Trainer(accelerator=accelerator, devices=1, precision=precision, max_epochs=1, logger=False,
                            enable_checkpointing=False,
                            enable_progress_bar=False, enable_model_summary=False, default_root_dir=tmp)
        start = time.perf_counter()
        trainer.fit(module, datamodule=dm)
        seconds = time.perf_counter() - start
        memory = memory_after_training()
    module.encoder.to(device_of(accelerator))
    score = dev_score(lambda s: module.encoder.encode(s, batch_size=128))
    suffix = ("+compile" if compile_model else "") + (f"+group{group_by_length}" if group_by_length else "")
    return {"system": "sentemb" + suffix, "sentences": n, "seconds": seconds,
            "tokens": tokens, "sentences_per_s": n / seconds, "max_rss_mib": max_rss_mib(), "stsb_dev": score,
            **memory}


def train_st(model_path: str, n: int, accelerator: str, precision: str) -> dict:
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
        losses,
    )

    model = SentenceTransformer(model_path, device=device_of(accelerator))
    model.max_seq_length = MAX_LEN
    lines = wiki_lines(n)
    data = Dataset.from_dict({"anchor": lines, "positive": lines})
    with tempfile.TemporaryDirectory() as tmp:
        args = SentenceTransformerTrainingArguments(
            output_dir=tmp, per_device_train_batch_size=BATCH, learning_rate=LR, num_train_epochs=1,
            warmup_ratio=0.0, lr_scheduler_type="linear", save_strategy="no", report_to=[], seed=42,
            use_cpu=accelerator == "cpu", bf16=precision.startswith("bf16"), logging_steps=10_000,
            disable_tqdm=True)
        trainer = SentenceTransformerTrainer(model=model, args=args, train_dataset=data,
                                             loss=losses.MultipleNegativesRankingLoss(model, scale=1 / TAU))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        memory = memory_after_training()
    score = dev_score(lambda s: model.encode(s, batch_size=128))
    return {"system": "sentence-transformers", "sentences": n, "seconds": seconds,
            "sentences_per_s": n / seconds, "max_rss_mib": max_rss_mib(), "stsb_dev": score, **memory}


def encode_both(model_path: str, accelerator: str) -> dict:
    import numpy as np
    from sentence_transformers import SentenceTransformer

    from sentemb.data.sts_readers import read_stsb
    from sentemb.encoder.sentence_encoder import SentenceEncoder
    from sentemb.paths import data_dir

    pairs = read_stsb(data_dir() / "en" / "STS" / "STSBenchmark", "test")
    sentences = list(dict.fromkeys(pairs.sentences1 + pairs.sentences2))
    device = device_of(accelerator)
    ours = SentenceEncoder.load(model_path, max_length=256).to(device)
    st = SentenceTransformer(model_path, device=device)
    st.max_seq_length = 256
    ours.encode(sentences[:256], batch_size=128), st.encode(sentences[:256], batch_size=128)  # warm-up
    start = time.perf_counter()
    a = ours.encode(sentences, batch_size=128, normalize=True)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    b = st.encode(sentences, batch_size=128, normalize_embeddings=True)
    t_st = time.perf_counter() - start
    return {"sentences": len(sentences), "sentemb_per_s": len(sentences) / t_ours,
            "st_per_s": len(sentences) / t_st, "max_abs_diff": float(np.abs(a - b).max())}


def matmul_gflops(size: int = 2048, repeats: int = 5, device: str = "cpu", bf16: bool = False) -> float:
    """Measured dense matrix-product rate (float32, or bfloat16 on a GPU run with bf16)."""
    import torch

    if device == "cuda":
        size, repeats = 8192, 20
    dtype = torch.bfloat16 if bf16 else torch.float32
    a, b = torch.randn(size, size, device=device, dtype=dtype), torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    start = time.perf_counter()
    for _ in range(repeats):
        a @ b
    if device == "cuda":
        torch.cuda.synchronize()
    return 2 * size**3 * repeats / (time.perf_counter() - start) / 1e9


def train_flops_per_token(model_path: str, seq_len: float) -> float:
    """6 x non-embedding parameters (forward + backward) + attention scores and values (6 x 2 x L x d x layers)."""
    from transformers import AutoConfig

    c = AutoConfig.from_pretrained(model_path)
    d, layers, ffn = c.hidden_size, c.num_hidden_layers, c.intermediate_size
    params = layers * (4 * d * d + 2 * d * ffn)
    return 6 * params + 6 * 2 * seq_len * d * layers


def worker(args) -> None:
    if args.worker in ("sentemb", "sentemb-compile", "sentemb-grouped"):
        out = train_sentemb(args.model, args.lines, args.worker == "sentemb-compile", args.accelerator, args.precision,
                            GROUP_BY_LENGTH if args.worker == "sentemb-grouped" else 0)
    elif args.worker == "st":
        out = train_st(args.model, args.lines, args.accelerator, args.precision)
    else:
        out = encode_both(args.model, args.accelerator)
    print("RESULT " + json.dumps(out), flush=True)


def run_worker(kind: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--lines", str(args.lines), "--model", args.model,
           "--accelerator", args.accelerator, "--precision", args.precision]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    print(json.dumps(result), flush=True)
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1280)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=None, help="HF/sentence-transformers folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--systems", default="sentemb,st", help="comma list of sentemb, sentemb-compile, sentemb-grouped (data.group_by_length=50), st")
    parser.add_argument("--out", default=None, help="write the summary JSON here")
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--precision", default="32-true", help="32-true (CPU) or bf16-mixed (GPU)")
    parser.add_argument("--skip-encode", action="store_true")
    parser.add_argument("--worker", default=None)
    args = parser.parse_args()
    if args.model is None:
        from sentemb.paths import minilm_path

        args.model = minilm_path()
    if args.worker:
        return worker(args)
    systems = args.systems.split(",")
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    for r in range(args.rounds):
        order = systems if r % 2 == 0 else systems[::-1]  # alternate who goes first
        for system in order:
            runs[system].append(run_worker(system, args))
    encode = [] if args.skip_encode else [run_worker("encode", args) for _ in range(args.rounds)]
    gflops = matmul_gflops(device=device_of(args.accelerator), bf16=args.precision.startswith("bf16"))
    tokens = runs[systems[0]][0].get("tokens") or 0
    seq = tokens / (2 * args.lines) if tokens else MAX_LEN
    med = {s: {k: statistics.median(r[k] for r in rs) for k in ("sentences_per_s", "max_rss_mib", "train_max_rss_mib", "cuda_peak_mib", "stsb_dev")
                if k in rs[0]}
           for s, rs in runs.items()}
    ours = med[systems[0]]
    achieved = ours["sentences_per_s"] * 2 * seq * train_flops_per_token(args.model, seq) / 1e9
    summary = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version()},
        "command": " ".join(sys.argv), "lines": args.lines, "rounds": args.rounds, "medians": med,
        "train_speedup_vs_st": (ours["sentences_per_s"] / med["st"]["sentences_per_s"]) if "st" in med else None,
        "encode": {k: statistics.median(e[k] for e in encode) for k in encode[0]} if encode else None,
        "matmul_fp32_gflops": gflops, "train_achieved_gflops": achieved, "fraction_of_matmul_peak": achieved / gflops,
        "runs": runs,
    }
    if encode:
        summary["encode_speedup_vs_st"] = summary["encode"]["sentemb_per_s"] / summary["encode"]["st_per_s"]
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")


if __name__ == "__main__":
    main()
