"""How often DCL's clamp N e^(-1/tau) binds at the start of training on minilm_l6, against tau.

    PYTHONPATH=src flock /tmp/sentemb-heavy.lock python experiments/dcl_hcl_layout/clamp_check.py > experiments/dcl_hcl_layout/clamp_check.out

For the first 3 batches of 64 wiki_sample sentences (seeded shuffle, max length 32, dropout on, no gradient),
in the references' layout (both views are anchors: 128 anchors, 126 negatives each), prints the mean positive
and negative cosine and the share of anchors whose debiased negative term is at the clamp, as the loss logs
it (train/sampler/clamped), for sampler=debiased (tau_plus 0.1) and sampler=hard (beta 1, tau_plus 0.1) at
several temperatures; for model=simcse_unsup's encoder ([CLS] + a fresh MLP head) and for mean pooling.
"""

from __future__ import annotations

import random

import torch

from sentemb.encoder.backbone import load_backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.losses.infonce import InfoNCELoss
from sentemb.paths import data_dir, minilm_path
from sentemb.samplers.debiased import DebiasedSampler
from sentemb.samplers.hard import HardNegativeSampler

TAUS = (0.05, 0.1, 0.2, 0.3, 0.5, 1.0)


def batches(n_batches: int = 3, size: int = 64) -> list[list[str]]:
    lines = [s for s in (data_dir() / "en" / "wiki1m_head.txt").read_text().splitlines() if s.strip()]
    random.Random(42).shuffle(lines)
    return [lines[i * size:(i + 1) * size] for i in range(n_batches)]


def clamped_share(emb: torch.Tensor, sampler, tau: float) -> float:
    pairs = sampler(emb)
    InfoNCELoss(tau)(pairs)
    return pairs.stats["sampler/clamped"]


def main() -> None:
    torch.manual_seed(42)
    for pooling, head in [("cls_before_pooler", True), ("mean", False)]:
        enc = SentenceEncoder(load_backbone(str(minilm_path())), pooling, mlp_head=head).train()
        embs = []
        for lines in batches():
            tok = enc.tokenize(lines, max_length=32)
            with torch.no_grad():
                embs.append(torch.stack([enc(tok["input_ids"], tok["attention_mask"]) for _ in range(2)], dim=1))
        cos = [DebiasedSampler(0.1)(e).cosine() for e in embs]
        pos = torch.cat([DebiasedSampler(0.1)(e).positive_mask for e in embs])
        weight = torch.cat([DebiasedSampler(0.1)(e).negative_weight for e in embs])
        cos = torch.cat(cos)
        print(f"{pooling} head={head}: positive cos {cos[pos].mean():.3f}, "
              f"negative cos {cos[~pos & (weight > 0)].mean():.3f} (3 batches of 64, 2 views)")
        print("  tau    " + "  ".join(f"{t:>5}" for t in TAUS))
        for name, make in [("debiased tau_plus 0.1", lambda t: DebiasedSampler(0.1)),
                           ("hard beta 1 tau_plus 0.1", lambda t: HardNegativeSampler(1.0, 0.1, temperature=t))]:
            shares = [sum(clamped_share(e, make(t), t) for e in embs) / len(embs) for t in TAUS]
            print(f"  {name:<26}" + "  ".join(f"{s:>5.0%}" for s in shares))


if __name__ == "__main__":
    main()
