"""sentemb vs sentence-transformers on the same machine: training and encoding throughput, peak memory.

    .venv/bin/python experiments/bench/bench_vs_st.py [--lines 1280] [--rounds 3] [--model PATH] [--out FILE]

Training: unsupervised SimCSE from the same weights, batch 64, max_len 32, lr 3e-5, tau 0.05 (scale 20),
the first `--lines` sentences of wiki1m_head.txt, one epoch. sentemb runs its default module (dropout pairs,
InfoNCE, the batch's rows encoded in length-sorted sub-batches: model.sub_batches=auto) through Lightning;
`sentemb-nosub` is the same with one forward pass a batch; sentence-transformers runs its own recipe
(MultipleNegativesRankingLoss on (s, s) pairs with SentenceTransformerTrainer). Each run is a fresh
subprocess (max RSS is per process); the systems alternate for `--rounds` rounds; medians are reported,
with the STS-B dev Spearman of each trained model beside the speed.

Encoding: SentenceEncoder.encode vs SentenceTransformer.encode on the STS-B test sentences, batch 128,
both L2-normalised, outputs compared (max abs difference); `--rounds` rounds in one process, alternating
which goes first, medians, and each system's STS-B test Spearman. `--encode-precision bf16` casts both
models to bfloat16 (GPU runs; on a CPU with AMX/AVX512-BF16, the opt-in faster path, not identical outputs).

Efficiency: the machine's matrix-product rate is measured here (float32 2048^3 GEMMs on a CPU, bf16 8192^3
on a GPU run in bf16); the training rate counts 6 x non-embedding parameters (+ attention) per *real*
(unpadded) token, the encoding rate 2 x, so padding computed is not counted as work done.
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

LR, TAU = 3e-5, 0.05
GROUP_BY_LENGTH = 50  # sentemb-grouped: batches per length-sorting window (data.group_by_length)


def wiki_lines(n: int) -> list[str]:
    from sentemb.data.text_reader import read_text_lines
    from sentemb.paths import data_dir

    return read_text_lines(data_dir() / "en" / "wiki1m_head.txt", max_lines=n).sentences


def dev_score(encode) -> float:
    from sentemb.evaluation.dev_sets import STSBDevScorer
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


def train_sentemb(args, compile_model: bool = False, group_by_length: int = 0, sub_batches="auto") -> dict:
    import lightning as L
    import torch

    from sentemb.data.batches import DropoutPairBuilder
    from sentemb.data.datamodule import TextDataModule
    from sentemb.encoder.backbone import load_backbone
    from sentemb.losses.infonce import InfoNCELoss
    from sentemb.methods.contrastive import ContrastiveModule
    from sentemb.samplers.in_batch import InBatchSampler

    L.seed_everything(42, verbose=False)
    module = ContrastiveModule(load_backbone(args.model), InfoNCELoss(TAU), InBatchSampler(), pooling="mean", lr=LR,
                               sub_batches=sub_batches)
    if compile_model:
        module.encoder.model = torch.compile(module.encoder.model, dynamic=True)
    with tempfile.TemporaryDirectory() as tmp:
        lines = Path(tmp) / "lines.txt"
        lines.write_text("\n".join(wiki_lines(args.lines)) + "\n")
        dm = TextDataModule(lines, module.encoder.tokenizer, DropoutPairBuilder, batch_size=args.batch,
                            max_length=args.max_len, cache_dir=None, group_by_length=group_by_length)
        dm.setup("fit")
        tokens = sum(len(t) for t in dm.train_set.token_lists) * 2  # two views
        trainer = L.Trainer(accelerator=args.accelerator, devices=1, precision=args.precision, max_epochs=1,
                            logger=False, enable_checkpointing=False, enable_progress_bar=False,
                            enable_model_summary=False, default_root_dir=tmp)
        start = time.perf_counter()
        trainer.fit(module, datamodule=dm)
        seconds = time.perf_counter() - start
        memory = memory_after_training()
    module.encoder.to(device_of(args.accelerator))
    score = dev_score(lambda s: module.encoder.encode(s, batch_size=128))
    suffix = ("+compile" if compile_model else "") + (f"+group{group_by_length}" if group_by_length else "")
    suffix += "" if sub_batches == "auto" else f"+sub_batches={sub_batches}"
    return {"system": "sentemb" + suffix, "sentences": args.lines, "seconds": seconds,
            "tokens": tokens, "sentences_per_s": args.lines / seconds, "max_rss_mib": max_rss_mib(),
            "stsb_dev": score, **memory}


def train_st(args) -> dict:
    from datasets import Dataset
    from sentence_transformers import (
        SentenceTransformer,
        SentenceTransformerTrainer,
        SentenceTransformerTrainingArguments,
        losses,
    )

    model = SentenceTransformer(args.model, device=device_of(args.accelerator))
    model.max_seq_length = args.max_len
    lines = wiki_lines(args.lines)
    data = Dataset.from_dict({"anchor": lines, "positive": lines})
    with tempfile.TemporaryDirectory() as tmp:
        targs = SentenceTransformerTrainingArguments(
            output_dir=tmp, per_device_train_batch_size=args.batch, learning_rate=LR, num_train_epochs=1,
            warmup_ratio=0.0, lr_scheduler_type="linear", save_strategy="no", report_to=[], seed=42,
            use_cpu=args.accelerator == "cpu", bf16=args.precision.startswith("bf16"), logging_steps=10_000,
            disable_tqdm=True)
        trainer = SentenceTransformerTrainer(model=model, args=targs, train_dataset=data,
                                             loss=losses.MultipleNegativesRankingLoss(model, scale=1 / TAU))
        start = time.perf_counter()
        trainer.train()
        seconds = time.perf_counter() - start
        memory = memory_after_training()
    score = dev_score(lambda s: model.encode(s, batch_size=128))
    return {"system": "sentence-transformers", "sentences": args.lines, "seconds": seconds,
            "sentences_per_s": args.lines / seconds, "max_rss_mib": max_rss_mib(), "stsb_dev": score, **memory}


def encode_both(args) -> dict:
    """`args.rounds` rounds of both encoders on the unique STS-B test sentences in this process, alternating
    which goes first; medians of sentences/s (and of sentemb without sub-batches), the max abs difference of
    sentemb's and the peer's outputs, the real tokens encoded, and each one's STS-B test Spearman x 100 (what
    a lower precision costs)."""
    import numpy as np
    import torch
    from sentence_transformers import SentenceTransformer

    from sentemb.data.sts_readers import read_stsb
    from sentemb.encoder.sentence_encoder import SentenceEncoder
    from sentemb.evaluation.sts import spearman_cosine
    from sentemb.paths import data_dir

    pairs = read_stsb(data_dir() / "en" / "STS" / "STSBenchmark", "test")
    sentences = list(dict.fromkeys(pairs.sentences1 + pairs.sentences2))
    device = device_of(args.accelerator)
    ours = SentenceEncoder.load(args.model, max_length=256).to(device)
    st = SentenceTransformer(args.model, device=device)
    st.max_seq_length = 256
    if args.encode_precision == "bf16":
        ours, st = ours.to(torch.bfloat16), st.to(torch.bfloat16)
    tokens = sum(len(t) for t in ours.tokenizer(sentences, truncation=True, max_length=256)["input_ids"])
    sync = torch.cuda.synchronize if device == "cuda" else (lambda: None)
    runners = {"sentemb": lambda s=sentences: ours.encode(s, batch_size=128, normalize=True),
               "st": lambda s=sentences: st.encode(s, batch_size=128, normalize_embeddings=True),
               "sentemb_nosub": lambda s=sentences: ours.encode(s, batch_size=128, normalize=True, sub_batches=None)}
    for run in runners.values():  # warm-up
        run(sentences[:256])
    per_s: dict[str, list[float]] = {name: [] for name in runners}
    outputs = {}
    for r in range(args.rounds):
        for name in (list(runners) if r % 2 == 0 else list(runners)[::-1]):
            sync()
            start = time.perf_counter()
            outputs[name] = np.asarray(runners[name](), dtype=np.float32)
            sync()
            per_s[name].append(len(sentences) / (time.perf_counter() - start))
    row = {s: i for i, s in enumerate(sentences)}
    left, right = [row[s] for s in pairs.sentences1], [row[s] for s in pairs.sentences2]
    stsb = {f"{name}_stsb_test": spearman_cosine(emb[left], emb[right], pairs.scores) for name, emb in outputs.items()}
    return {"sentences": len(sentences), "tokens": tokens, "precision": args.encode_precision,
            **{f"{name}_per_s": statistics.median(rates) for name, rates in per_s.items()}, "rounds": per_s, "max_abs_diff": float(np.abs(outputs["sentemb"] - outputs["st"]).max()), **stsb}


def matmul_gflops(size: int = 2048, repeats: int = 5, device: str = "cpu", bf16: bool = False) -> float:
    """Measured dense matrix-product rate in GFLOP/s (float32, or bfloat16), the best of 3."""
    import torch

    if device == "cuda":
        size, repeats = 8192, 20
    dtype = torch.bfloat16 if bf16 else torch.float32
    a, b = torch.randn(size, size, device=device, dtype=dtype), torch.randn(size, size, device=device, dtype=dtype)
    a @ b
    rates = []
    for _ in range(3):
        if device == "cuda":
            torch.cuda.synchronize()
        start = time.perf_counter()
        for _ in range(repeats):
            a @ b
        if device == "cuda":
            torch.cuda.synchronize()
        rates.append(2 * size**3 * repeats / (time.perf_counter() - start) / 1e9)
    return max(rates)


def flops_per_token(model_path: str, seq_len: float, passes: int) -> float:
    """passes x non-embedding parameters + attention scores and values (passes x 2 x L x d x layers); passes = 6
    for a training step (forward + backward), 2 for encoding."""
    from transformers import AutoConfig

    c = AutoConfig.from_pretrained(model_path)
    d, layers, ffn = c.hidden_size, c.num_hidden_layers, c.intermediate_size
    params = layers * (4 * d * d + 2 * d * ffn)
    return passes * params + passes * 2 * seq_len * d * layers


SYSTEMS = {  # worker name -> training function
    "sentemb": lambda a: train_sentemb(a),
    "sentemb-nosub": lambda a: train_sentemb(a, sub_batches=None),
    "sentemb-compile": lambda a: train_sentemb(a, compile_model=True),
    "sentemb-grouped": lambda a: train_sentemb(a, group_by_length=GROUP_BY_LENGTH),
    "st": train_st,
}


def system_runner(name: str):
    """SYSTEMS[name], or `sentemb-sub=N` (model.sub_batches=N: at most N chunks, no floor) for tuning."""
    if name.startswith("sentemb-sub=") and name.split("=", 1)[1].isdigit():
        return lambda a: train_sentemb(a, sub_batches=int(name.split("=", 1)[1]))
    if name not in SYSTEMS:
        raise SystemExit(f"--systems: unknown '{name}'; known: {', '.join(SYSTEMS)}, sentemb-sub=N")
    return SYSTEMS[name]


def worker(args) -> None:
    out = encode_both(args) if args.worker == "encode" else system_runner(args.worker)(args)
    print("RESULT " + json.dumps(out), flush=True)


def run_worker(kind: str, args) -> dict:
    cmd = [sys.executable, __file__, "--worker", kind, "--lines", str(args.lines), "--model", args.model,
           "--accelerator", args.accelerator, "--precision", args.precision, "--batch", str(args.batch),
           "--max-len", str(args.max_len), "--rounds", str(args.rounds), "--encode-precision", args.encode_precision]
    proc = subprocess.run(cmd, capture_output=True, text=True, env={**os.environ, "TOKENIZERS_PARALLELISM": "false"})
    lines = [ln for ln in proc.stdout.splitlines() if ln.startswith("RESULT ")]
    if proc.returncode != 0 or not lines:
        raise RuntimeError(f"{kind} failed:\n{proc.stderr[-3000:]}")
    result = json.loads(lines[-1][len("RESULT "):])
    print(json.dumps(result), flush=True)
    return result


def parse_args(argv=None):
    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=1280)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--model", default=None, help="HF/sentence-transformers folder (default: all-MiniLM-L6-v2)")
    parser.add_argument("--systems", default="sentemb,st",
                        help=f"comma list of {', '.join(SYSTEMS)}, sentemb-sub=N (sentemb-grouped: data.group_by_length=50)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-len", type=int, default=32)
    parser.add_argument("--out", default=None, help="write the summary JSON here")
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--precision", default="32-true", help="32-true (CPU) or bf16-mixed (GPU)")
    parser.add_argument("--encode-precision", default="fp32", choices=["fp32", "bf16"])
    parser.add_argument("--skip-encode", action="store_true")
    parser.add_argument("--worker", default=None)
    args = parser.parse_args(argv)
    if args.model is None:
        from sentemb.paths import minilm_path

        args.model = str(minilm_path())
    return args


def compare(args) -> dict:
    """Alternating training rounds of `args.systems`, one encode worker, the matrix-product rate -> summary."""
    started = time.perf_counter()
    systems = args.systems.split(",")
    for system in systems:
        system_runner(system)  # unknown names stop here, before any run
    runs: dict[str, list[dict]] = {s: [] for s in systems}
    for r in range(args.rounds):
        for system in (systems if r % 2 == 0 else systems[::-1]):  # alternate who goes first
            runs[system].append(run_worker(system, args))
    encode = None if args.skip_encode else run_worker("encode", args)
    device = device_of(args.accelerator)
    gflops = matmul_gflops(device=device, bf16=args.precision.startswith("bf16"))
    med = {s: {k: statistics.median(r[k] for r in rs) for k in
               ("sentences_per_s", "max_rss_mib", "train_max_rss_mib", "cuda_peak_mib", "stsb_dev") if k in rs[0]}
           for s, rs in runs.items()}
    ours = med[systems[0]]
    tokens = runs[systems[0]][0].get("tokens") or 0
    seq = tokens / (2 * args.lines) if tokens else args.max_len
    achieved = ours["sentences_per_s"] * 2 * seq * flops_per_token(args.model, seq, 6) / 1e9
    summary = {
        "machine": {"cpu": platform.processor() or platform.machine(), "cores": os.cpu_count(),
                    "python": platform.python_version(), "device": device},
        "command": " ".join(sys.argv), "lines": args.lines, "rounds": args.rounds, "batch": args.batch,
        "max_len": args.max_len, "precision": args.precision, "medians": med,
        "train_speedup_vs_st": (ours["sentences_per_s"] / med["st"]["sentences_per_s"]) if "st" in med else None,
        "train_speedup_vs_st_by_system": {s: m["sentences_per_s"] / med["st"]["sentences_per_s"]
                                          for s, m in med.items() if s != "st"} if "st" in med else None,
        "encode": encode, "matmul_gflops": gflops, "matmul_dtype": "bf16" if args.precision.startswith("bf16") else "fp32",
        "train_achieved_gflops": achieved, "fraction_of_matmul_peak": achieved / gflops, "runs": runs,
    }
    if encode:
        summary["encode_speedup_vs_st"] = encode["sentemb_per_s"] / encode["st_per_s"]
        seq_enc = encode["tokens"] / encode["sentences"]
        encode_gflops = encode["sentemb_per_s"] * seq_enc * flops_per_token(args.model, seq_enc, 2) / 1e9
        encode_peak = gflops
        if (args.encode_precision == "bf16") != (summary["matmul_dtype"] == "bf16"):
            encode_peak = summary["encode_matmul_gflops"] = matmul_gflops(device=device,
                                                                           bf16=args.encode_precision == "bf16")
        summary["encode_achieved_gflops"] = encode_gflops
        summary["encode_fraction_of_matmul_peak"] = encode_gflops / encode_peak
    summary["wall_seconds"] = time.perf_counter() - started
    return summary


def main(argv=None) -> dict | None:
    args = parse_args(argv)
    if args.worker:
        return worker(args)
    summary = compare(args)
    print(json.dumps({k: v for k, v in summary.items() if k != "runs"}, indent=2))
    if args.out:
        Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
