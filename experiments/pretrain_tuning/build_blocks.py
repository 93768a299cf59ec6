"""Build the offline recipe's packed corpus once and save it as tensors, for step-matched tuning elsewhere.

    python experiments/pretrain_tuning/build_blocks.py OUT_DIR [--max-length 32 64 128] [--seed 42]

Runs the same pieces as `python -m sentemb.pretrain experiment=pretrain_mini_offline` (corpus with the
evaluation sentences excluded, WordPiece tokenizer, packing) and writes OUT_DIR/blocks_<L>.pt for each
block length L ({"train": (B, L) int32, "train_lengths": (B,), "heldout": ..., "heldout_lengths": ...}), OUT_DIR/rows.pt (one
sentence a row, unpacked, ragged), OUT_DIR/tokenizer/ and OUT_DIR/architecture.json, so tune_steps.py can run on a machine without the data folder or WordNet.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import torch
from hydra import compose, initialize_config_dir
from omegaconf import OmegaConf

import sentemb.conf_resolvers  # noqa: F401  (${sentemb.data_dir:})
from sentemb.paths import PROJECT_ROOT
from sentemb.pretraining.build import build_tokenizer
from sentemb.pretraining.corpus import build_corpus
from sentemb.pretraining.data import MLMDataModule, tokenize_lines
from sentemb.pretraining.packing import sentence_rows
from sentemb.pretraining.tokenizer import save_tokenizer


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("out_dir")
    parser.add_argument("--max-length", type=int, nargs="+", default=[128])
    parser.add_argument("--seed", type=int, default=42)
    args = parser.parse_args()
    with initialize_config_dir(str(PROJECT_ROOT / "conf"), version_base="1.3"):
        cfg = compose("pretrain", overrides=["experiment=pretrain_mini_offline", f"seed={args.seed}"],
                      return_hydra_config=False)
    c = cfg.corpus
    corpus = build_corpus(c.data_dir, sources=list(c.sources), files=list(c.files or []), exclude=list(c.exclude),
                          heldout_fraction=c.heldout_fraction, heldout_max_lines=c.heldout_max_lines,
                          max_lines=c.max_lines, seed=cfg.seed, wordnet_dir=c.get("wordnet_dir"))
    tokenizer, _ = build_tokenizer(cfg.tokenizer, None, corpus.train)
    out = Path(args.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    save_tokenizer(tokenizer, out / "tokenizer")
    stats = {}
    for length in args.max_length:
        data = MLMDataModule(corpus.train, corpus.heldout, tokenizer, max_length=length, packing=True)
        data.setup("fit")
        train_blocks, train_lengths = data.train_set.tensors
        held_blocks, held_lengths = data.heldout_set.tensors
        torch.save({"train": train_blocks.int(), "train_lengths": train_lengths, "heldout": held_blocks.int(),
                    "heldout_lengths": held_lengths}, out / f"blocks_{length}.pt")
        stats[length] = data.stats
    rows = {}  # one sentence a row ([CLS] s [SEP], truncated to 128), ragged: a token stream + row offsets
    for split, lines in (("train", corpus.train), ("heldout", corpus.heldout)):
        seqs = sentence_rows(tokenize_lines(tokenizer, lines), 128, tokenizer.cls_token_id, tokenizer.sep_token_id)
        rows[f"{split}_tokens"] = torch.cat(seqs).to(torch.int16)
        rows[f"{split}_offsets"] = torch.tensor([0, *torch.tensor([len(r) for r in seqs]).cumsum(0).tolist()])
    torch.save(rows, out / "rows.pt")
    stats["rows"] = {"train_rows": len(rows["train_offsets"]) - 1, "train_tokens": len(rows["train_tokens"])}
    arch = OmegaConf.to_container(cfg.model.architecture, resolve=True)
    (out / "architecture.json").write_text(json.dumps({"architecture": arch, "corpus": corpus.stats,
                                                       "blocks": stats}, indent=1, default=str))
    print(json.dumps(stats))


if __name__ == "__main__":
    main()
