"""Peak memory (max RSS) of one unsupervised SimCSE step at batch 1024 on minilm_l6: plain vs GradCache.

    .venv/bin/python experiments/bench/grad_cache_memory.py [--batch 1024] [--chunk 64] [--max-length 32]

Each variant runs in a fresh subprocess (max RSS is per process): load MiniLM, build one batch of the
first `batch` lines of wiki1m_head.txt, one optimizer step. Prints a JSON line per variant.
"""

from __future__ import annotations

import argparse
import json
import resource
import subprocess
import sys
import time


def one_step(batch_size: int, chunk: int | None, max_length: int) -> dict:
    import torch

    from sentemb.data.batches import DropoutPairBuilder
    from sentemb.data.text_reader import read_text_lines
    from sentemb.encoder.backbone import load_backbone
    from sentemb.losses.infonce import InfoNCELoss
    from sentemb.methods.contrastive import ContrastiveModule
    from sentemb.methods.grad_cache import grad_cache_backward
    from sentemb.paths import data_dir, minilm_path
    from sentemb.samplers.in_batch import InBatchSampler

    torch.manual_seed(0)
    module = ContrastiveModule(load_backbone(minilm_path()), InfoNCELoss(0.05), InBatchSampler(),
                               pooling="cls_before_pooler", mlp_head=True)
    tok = module.encoder.tokenizer
    lines = read_text_lines(data_dir() / "en" / "wiki1m_head.txt", max_lines=batch_size).sentences
    rows = [{"input_ids": tok(s, truncation=True, max_length=max_length)["input_ids"], "index": i}
            for i, s in enumerate(lines)]
    batch = DropoutPairBuilder(tok)(rows)
    optimizer = torch.optim.AdamW(module.parameters(), lr=3e-5)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    start = time.perf_counter()
    if chunk:
        loss = grad_cache_backward(module, batch, chunk)
    else:
        loss = module.loss_fn(module.sampler(module.embed(batch)))
        loss.backward()
    optimizer.step()
    return {"variant": f"gradcache-{chunk}" if chunk else "plain", "batch": batch_size,
            "loss": round(float(loss), 5), "seconds": round(time.perf_counter() - start, 1),
            "max_rss_mib_before_step": before // 1024,
            "max_rss_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--batch", type=int, default=1024)
    parser.add_argument("--chunk", type=int, default=64)
    parser.add_argument("--max-length", type=int, default=32)
    parser.add_argument("--variant", choices=["plain", "cached"])
    args = parser.parse_args()
    if args.variant:
        chunk = args.chunk if args.variant == "cached" else None
        print(json.dumps(one_step(args.batch, chunk, args.max_length)), flush=True)
        return
    for variant in ("plain", "cached"):
        cmd = [sys.executable, __file__, "--variant", variant, "--batch", str(args.batch),
               "--chunk", str(args.chunk), "--max-length", str(args.max_length)]
        out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout.strip().splitlines()[-1]
        print(out, flush=True)


if __name__ == "__main__":
    main()
