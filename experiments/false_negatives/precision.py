"""How often a flagged negative really is a false negative: batches of Banking77 training utterances (seeded),
top-k detection with the untrained MiniLM (mean pooling, no dropout), precision = flagged pairs whose two
texts share the gold intent; base rate = all in-batch negatives that share it.

    python experiments/false_negatives/precision.py [N_BATCHES] [BATCH_SIZE]
"""

from __future__ import annotations

import sys

import numpy as np
import torch

from sentemb.data.labelled import read_banking77
from sentemb.encoder.backbone import load_backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.paths import data_dir, minilm_path
from sentemb.samplers.false_negative import FalseNegativeSampler


def main(n_batches: int = 10, batch_size: int = 32) -> None:
    data = read_banking77(data_dir() / "en" / "banking77", "train")
    names = sorted(set(data.labels))
    labels = np.array([names.index(x) for x in data.labels])
    rows = np.random.default_rng(0).permutation(len(data.texts))[: n_batches * batch_size]
    encoder = SentenceEncoder(load_backbone(minilm_path()), "mean")
    with torch.inference_mode():
        emb = torch.as_tensor(encoder.encode([data.texts[i] for i in rows], batch_size=64))
    y = torch.as_tensor(labels[rows])
    for k in (1, 2, 4):
        sampler = FalseNegativeSampler(same_text=False, same_label=False, top_k=k)
        hit = flagged = same = negatives = 0
        for b in range(n_batches):
            part = slice(b * batch_size, (b + 1) * batch_size)
            e, lab = emb[part], y[part]
            pairs = sampler(torch.stack([e, e], 1))
            mask = pairs.negative_weight == 0
            shared = lab.unsqueeze(1) == lab.unsqueeze(0)
            off = ~torch.eye(len(lab), dtype=torch.bool)
            hit += int((mask & shared).sum())
            flagged += int(mask.sum())
            same += int((shared & off).sum())
            negatives += int(off.sum())
        print(f"top_k={k}: flagged {flagged}, precision {100 * hit / flagged:.1f}% same intent, recall "
              f"{100 * hit / max(same, 1):.1f}% of the {same} same-intent negatives; base rate "
              f"{100 * same / negatives:.2f}% of all negatives")


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
