"""How often does the encoder already order masked-span triplets as ArcCSE's triplet term wants?

For N training sentences, builds (s, s', s'') with the run's ArcCSEBatchBuilder and encodes them exactly as
the triplet objective does in training (module in train mode, backbone dropout off, MLP head on), then
prints the mean angles theta(s, s'), theta(s, s'') in degrees, the share of triplets whose order is violated
(theta(s, s') >= theta(s, s'')) and the mean hinge (the term's value at margin 0 and at a few margins).

    python experiments/arccse_triplet_order.py [N] [hydra overrides...]
    python experiments/arccse_triplet_order.py 512 model=arccse backbone=minilm_l6
"""

from __future__ import annotations

import math
import sys

import torch
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

import sentemb.conf_resolvers  # noqa: F401
from sentemb.data.text_reader import read_text_lines
from sentemb.losses.angular_triplet import pairwise_angle
from sentemb.methods.objectives import AngularTripletObjective
from sentemb.paths import PROJECT_ROOT
from sentemb.train import build_module


def main(n: int, overrides: list[str]) -> None:
    with initialize_config_dir(config_dir=str(PROJECT_ROOT / "conf"), version_base="1.3"):
        cfg = compose(config_name="config", overrides=["model=arccse", "logger=none", *overrides])
    torch.manual_seed(cfg.seed)
    module = build_module(cfg).train()
    tokenizer = module.encoder.tokenizer
    builder = instantiate(cfg.model.batch_builder)(tokenizer=tokenizer)
    sentences = read_text_lines(cfg.data.path, n).sentences
    objective = AngularTripletObjective()
    near, far = [], []
    with torch.no_grad():
        for start in range(0, len(sentences), 64):
            chunk = sentences[start : start + 64]
            rows = [{"input_ids": tokenizer(s, truncation=True, max_length=cfg.data.max_length)["input_ids"],
                     "index": i} for i, s in enumerate(chunk)]
            emb = objective.encode(module, builder(rows))
            near.append(pairwise_angle(emb[:, 0], emb[:, 1]))
            far.append(pairwise_angle(emb[:, 0], emb[:, 2]))
    t1, t2 = torch.cat(near), torch.cat(far)
    print(f"sentences {len(t1)}  backbone {cfg.backbone.get('name_or_path')}  pooling {cfg.model.pooling}")
    print(f"mean theta(s,s') {math.degrees(t1.mean()):.2f} deg, mean theta(s,s'') {math.degrees(t2.mean()):.2f} deg")
    print(f"order violated (theta(s,s') >= theta(s,s'')): {(t1 >= t2).float().mean().item():.3%}")
    for margin_deg in (0, 1, 2, 5, 10):
        hinge = torch.relu(t1 - t2 + math.radians(margin_deg)).mean().item()
        print(f"triplet term at margin {margin_deg:>2} deg: {hinge:.5f} rad")


if __name__ == "__main__":
    args = sys.argv[1:]
    count = int(args.pop(0)) if args and args[0].isdigit() else 512
    main(count, args)
