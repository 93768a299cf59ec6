"""sentemb vs sentence-transformers on one GPU, bf16, bert-base built from its config: one command, < 5 min.

    python experiments/bench/gpu_bench.py --out experiments/bench/gpu_bench_bf16.json
    python experiments/bench/gpu_bench.py --device cpu --tiny --out /tmp/gpu_bench_smoke.json   # CPU smoke run

Builds bert-base from `BertConfig()` (its defaults are bert-base: 12 layers, 768 wide, 30,522 tokens) with
random weights (speed does not depend on them) and the uncased WordPiece tokenizer that all-MiniLM-L6-v2
ships (the same vocabulary), saved in the sentence-transformers layout with mean pooling, so both systems
load the same folder. Then `bench_vs_st.compare`: unsupervised SimCSE training, each run a fresh process,
systems alternating, medians of `--rounds` (sentemb with model.sub_batches=auto, its default, and
`--systems sentemb-nosub` for one forward pass a batch); encoding of the STS-B test sentences with both models
cast to bfloat16. The bf16 matrix-product rate is measured in the same run (8192^3 GEMMs), and the shares of
it that training and encoding reach are printed with the ratios; one JSON holds everything.

`--tiny --device cpu` swaps in a 2-layer 32-wide BERT, float32 and a few sentences: a smoke run of the same
code path (tests/test_bench_smoke.py), not a measurement.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
TINY = {"hidden_size": 32, "num_hidden_layers": 2, "num_attention_heads": 2, "intermediate_size": 64}


def load_bench_vs_st():
    spec = importlib.util.spec_from_file_location("bench_vs_st", HERE / "bench_vs_st.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def build_model(folder: Path, tiny: bool) -> Path:
    """bert-base (or the tiny test BERT) from its config, random weights, mean pooling; saved in the Hugging
    Face + sentence-transformers layout."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertModel

    from sentemb.encoder.backbone import Backbone
    from sentemb.encoder.sentence_encoder import SentenceEncoder
    from sentemb.paths import minilm_path

    torch.manual_seed(0)
    tokenizer = AutoTokenizer.from_pretrained(minilm_path())
    config = BertConfig(vocab_size=len(tokenizer), **(TINY if tiny else {}))
    config._attn_implementation = "sdpa"
    backbone = Backbone(BertModel(config), tokenizer, "bert-base (random)" if not tiny else "tiny_random")
    return SentenceEncoder(backbone, "mean", max_length=256).save(folder)


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    parser.add_argument("--tiny", action="store_true", help="the 2-layer test BERT (smoke runs)")
    parser.add_argument("--lines", type=int, default=None, help="training sentences (default 6,400; --tiny 128)")
    parser.add_argument("--rounds", type=int, default=None, help="alternating rounds (default 3; --tiny 1)")
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-len", type=int, default=32)
    parser.add_argument("--systems", default="sentemb,st")
    parser.add_argument("--out", default="gpu_bench_bf16.json")
    args = parser.parse_args(argv)
    bench = load_bench_vs_st()
    started = time.perf_counter()
    gpu = args.device == "cuda"
    with tempfile.TemporaryDirectory() as tmp:
        model = build_model(Path(tmp) / "bert", args.tiny)
        compare_args = bench.parse_args([
            "--model", str(model), "--lines", str(args.lines or (128 if args.tiny else 6400)),
            "--rounds", str(args.rounds or (1 if args.tiny else 3)), "--systems", args.systems,
            "--batch", str(args.batch), "--max-len", str(args.max_len),
            "--accelerator", "gpu" if gpu else "cpu", "--precision", "bf16-mixed" if gpu else "32-true",
            "--encode-precision", "bf16" if gpu else "fp32"])
        summary = bench.compare(compare_args)
    summary.update(command=" ".join([Path(sys.executable).name, *sys.argv]), model="tiny BERT" if args.tiny
                   else "bert-base from BertConfig(), random weights", wall_seconds=time.perf_counter() - started)
    if gpu:
        import torch

        summary["machine"]["gpu"] = torch.cuda.get_device_name()
        summary["machine"]["torch"] = torch.__version__
    encode = summary.get("encode") or {}
    print(f"training  sentemb / st: {summary['train_speedup_vs_st']:.2f}x; "
          f"{summary['fraction_of_matmul_peak']:.1%} of the measured {summary['matmul_dtype']} matmul rate "
          f"({summary['matmul_gflops'] / 1e3:.1f} TFLOP/s)")
    if encode:
        print(f"encoding  sentemb / st: {summary['encode_speedup_vs_st']:.2f}x (max abs diff "
              f"{encode['max_abs_diff']:.1e}); {summary['encode_fraction_of_matmul_peak']:.1%} of the matmul rate")
    print(f"wall {summary['wall_seconds']:.0f} s; written to {args.out}")
    Path(args.out).write_text(json.dumps(summary, indent=2) + "\n")
    return summary


if __name__ == "__main__":
    main()
