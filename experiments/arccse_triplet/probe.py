"""How much does each form of ArcCSE's triple-wise term act on an untrained module (step 0)?

For N training sentences in batches of `data.batch_size`, builds (s, s', s'') with the run's ArcCSEBatchBuilder,
encodes them as the objective does in training (module in train mode, backbone dropout off) with and without
the MLP head, and prints for each form (pairing own|all x distance angle|cosine x head) at the configured
margin: the mean share of hinges > 0 (the logged train/aux/triplet_active), how many batches had none, and the
mean term. Also the mean angles theta(s, s') and theta(s, s'') and the share of own triplets out of order.

    python experiments/arccse_triplet/probe.py [N] [hydra overrides...]
    python experiments/arccse_triplet/probe.py 256 backbone=minilm_l6
"""

from __future__ import annotations

import itertools
import math
import sys

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

import sentemb.conf_resolvers  # noqa: F401
from sentemb.data.text_reader import read_text_lines
from sentemb.methods.arccse import TripleWiseObjective, triple_wise_hinges, triplet_distance
from sentemb.paths import PROJECT_ROOT
from sentemb.training.build import build_module


def main(n: int, overrides: list[str]) -> None:
    with initialize_config_dir(config_dir=str(PROJECT_ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["model=arccse", "logger=none", *overrides])
    torch.manual_seed(cfg.seed)
    module = build_module(cfg).train()
    tokenizer = module.encoder.tokenizer
    builder = instantiate(cfg.model.batch_builder)(tokenizer=tokenizer)
    sentences = read_text_lines(cfg.data.path, n).sentences
    margin = float(cfg.model.auxiliary.triplet.margin)
    size = int(cfg.data.batch_size)
    encoded = {True: [], False: []}
    with torch.no_grad():
        for start in range(0, len(sentences), size):
            rows = [{"input_ids": tokenizer(s, truncation=True, max_length=cfg.data.max_length)["input_ids"],
                     "index": i} for i, s in enumerate(sentences[start: start + size])]
            batch = builder(rows)
            for head in (True, False):
                encoded[head].append(TripleWiseObjective(head=head).encode(module, batch))
    print(f"backbone {cfg.backbone.get('name_or_path') or cfg.backbone._target_}, {len(sentences)} sentences in "
          f"{len(encoded[True])} batches of {size}, margin {margin}")
    for head in (True, False):
        own = torch.cat([e for e in encoded[head]])
        near = triplet_distance(own[:, 0], own[:, 1], "angle").diagonal()
        far = triplet_distance(own[:, 0], own[:, 2], "angle").diagonal()
        print(f"head={head}: mean theta(s,s') {math.degrees(near.mean()):.2f} deg, theta(s,s'') "
              f"{math.degrees(far.mean()):.2f} deg, own triplets out of order {(near > far).float().mean():.2%}, "
              f"tied {(near == far).float().mean():.2%}")
    print("pairing distance head | active share (mean over batches) | batches with none | mean term")
    for pairing, distance, head in itertools.product(("own", "all"), ("angle", "cosine"), (True, False)):
        shares, terms = [], []
        for triplet in encoded[head]:
            hinges = triple_wise_hinges(triplet, margin, pairing, distance)
            shares.append((hinges > 0).float().mean().item())
            terms.append(hinges.mean().item())
        none = sum(s == 0.0 for s in shares)
        print(f"{pairing:4} {distance:6} {str(head):5} | {sum(shares) / len(shares):.4f} | {none}/{len(shares)} | "
              f"{sum(terms) / len(terms):.6f}")


if __name__ == "__main__":
    args = sys.argv[1:]
    count = int(args.pop(0)) if args and args[0].isdigit() else 256
    main(count, args)
