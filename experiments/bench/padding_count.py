"""Tokens computed vs real tokens, with and without length-sorted sub-batches (no timing; tokenizer only).

    .venv/bin/python experiments/bench/padding_count.py [--lines 6400] [--batch 64] [--max-len 32] [--flops N]

Training: random batches of `--batch` wiki sentences (the first `--lines` of wiki1m_head.txt, seed 0), both
views, padded to the batch's longest (one forward) or cut by `sentemb.encoder.subbatch` (CPU rule).
Encoding: the 2,551 unique STS-B test sentences at batch 128 in sentence-transformers' order (by characters,
padded per batch), sentemb's (by token count) and sentemb's with sub-batches.
`--flops N`: also count (torch.utils.flop_counter) the FLOPs of N training steps (forward + backward, dropout
pairs, InfoNCE) of a randomly initialised model shaped like the backbone, with and without sub-batches.
"""

from __future__ import annotations

import argparse
import json

import numpy as np
import torch

from sentemb.data.sts_readers import read_stsb
from sentemb.encoder.subbatch import chunk_rule, length_sorted_chunks
from sentemb.paths import data_dir, minilm_path

CPU = torch.device("cpu")


def computed(lengths: np.ndarray, setting) -> tuple[int, int]:
    """(tokens computed, chunks) for one padded block of rows with these lengths."""
    mask = (torch.arange(int(lengths.max()))[None] < torch.as_tensor(lengths.copy())[:, None]).long()
    chunks = length_sorted_chunks(mask, chunk_rule(setting, CPU))
    return sum(len(rows) * width for rows, width in chunks), len(chunks)


def step_flops(batches: list[torch.Tensor], steps: int) -> dict:
    """FLOPs of `steps` training steps (the first batches of token-length rows) with and without sub-batches,
    counted on a random-weight model with MiniLM's config (the FLOPs depend on shapes only)."""
    from torch.utils.flop_counter import FlopCounterMode
    from transformers import AutoConfig, AutoModel

    from sentemb.data.batches import Batch
    from sentemb.encoder.backbone import Backbone
    from sentemb.losses.infonce import InfoNCELoss
    from sentemb.methods.contrastive import ContrastiveModule
    from sentemb.samplers.in_batch import InBatchSampler

    torch.manual_seed(0)
    config = AutoConfig.from_pretrained(minilm_path())
    backbone = Backbone(AutoModel.from_config(config), None, "random MiniLM shape")
    module = ContrastiveModule(backbone, InfoNCELoss(0.05), InBatchSampler(), pooling="mean")
    out = {}
    for setting in (None, "auto"):
        module.hparams.sub_batches = setting
        with FlopCounterMode(display=False) as counter:
            for lengths in batches[:steps]:
                pairs = torch.as_tensor(lengths[::2].copy())  # one row per sentence; the builder repeats it
                width = int(pairs.max())
                mask = (torch.arange(width)[None] < pairs[:, None]).long()
                ids = torch.randint(1000, 2000, mask.shape) * mask
                batch = Batch(ids.unsqueeze(1).expand(-1, 2, -1), mask.unsqueeze(1).expand(-1, 2, -1))
                module.loss_fn(module.sampler(module.embed(batch))).backward()
                module.zero_grad(set_to_none=True)
        out[f"sub_batches={setting}"] = counter.get_total_flops() / steps
    out["ratio"] = out["sub_batches=None"] / out["sub_batches=auto"]
    return out


def main() -> None:
    from transformers import AutoTokenizer

    parser = argparse.ArgumentParser()
    parser.add_argument("--lines", type=int, default=6400)
    parser.add_argument("--batch", type=int, default=64)
    parser.add_argument("--max-len", type=int, default=32)
    parser.add_argument("--flops", type=int, default=0, help="also count the FLOPs of this many training steps")
    args = parser.parse_args()
    tok = AutoTokenizer.from_pretrained(minilm_path())
    lines = [ln.strip() for ln in open(data_dir() / "en" / "wiki1m_head.txt") if ln.strip()][: args.lines]
    lens = np.array([len(x) for x in tok(lines, truncation=True, max_length=args.max_len)["input_ids"]])
    perm = np.random.default_rng(0).permutation(len(lens))
    batches = [np.repeat(lens[perm[s : s + args.batch]], 2) for s in range(0, len(perm) - args.batch + 1, args.batch)]
    train = {"batches": len(batches), "real_per_batch": float(np.mean([b.sum() for b in batches])),
             "whole_per_batch": float(np.mean([len(b) * b.max() for b in batches]))}
    for setting in ("auto", 4, 8):
        counts = [computed(b, setting) for b in batches]
        train[f"sub_batches={setting}"] = {"computed_per_batch": float(np.mean([c for c, _ in counts])),
                                           "chunks_per_batch": float(np.mean([n for _, n in counts]))}
    pairs = read_stsb(data_dir() / "en" / "STS" / "STSBenchmark", "test")
    sentences = list(dict.fromkeys(pairs.sentences1 + pairs.sentences2))
    enc_lens = np.array([len(x) for x in tok(sentences, truncation=True, max_length=256)["input_ids"]])
    by_chars = enc_lens[np.argsort([-len(s) for s in sentences], kind="stable")]  # sentence-transformers' order
    by_tokens = np.sort(enc_lens)[::-1]
    blocks = [by_tokens[s : s + 128] for s in range(0, len(by_tokens), 128)]
    encode = {"sentences": len(sentences), "real": int(enc_lens.sum()),
              "peer_by_characters": int(sum(len(b) * b.max() for b in
                                            (by_chars[s : s + 128] for s in range(0, len(by_chars), 128)))),
              "by_tokens_whole_batches": int(sum(len(b) * b.max() for b in blocks)),
              "by_tokens_sub_batches_auto": int(sum(computed(b, "auto")[0] for b in blocks))}
    counts = {"train": train, "encode": encode}
    if args.flops:
        counts["train_flops_per_step"] = step_flops(batches, args.flops)
    print(json.dumps(counts, indent=2))


if __name__ == "__main__":
    main()
