"""How often DCL's floor binds for SimCSE on minilm_l6 at the start of training (dropout views, tau 0.05).

    PYTHONPATH=src python experiments/dcl_clamp_check.py
Prints, for the first batch of 64 wiki_sample sentences, the mean positive and negative cosine and the
fraction of anchors whose debiased negative term hits N e^(-1/tau), for several tau_plus and HCL's beta.
"""

from __future__ import annotations

import math

import torch

from sentemb.encoder.backbone import load_backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.paths import data_dir, minilm_path
from sentemb.samplers.in_batch import InBatchSampler


def main(tau: float = 0.05) -> None:
    torch.manual_seed(42)
    lines = [s for s in (data_dir() / "en" / "wiki1m_head.txt").read_text().splitlines() if s.strip()][:64]
    for pooling, head in [("cls_before_pooler", True), ("mean", False)]:
        enc = SentenceEncoder(load_backbone(str(minilm_path())), pooling, mlp_head=head).train()
        tok = enc.tokenize(lines, max_length=32)
        with torch.no_grad():
            emb = torch.stack([enc(tok["input_ids"], tok["attention_mask"]) for _ in range(2)], dim=1)
        pairs = InBatchSampler()(emb)
        cos = pairs.cosine().double()
        pos = cos.diagonal()
        neg = cos[~pairs.positive_mask].view(64, 63)
        n = 63
        s = torch.exp(neg / tau).sum(1)
        print(f"{pooling} head={head}: positive cos {pos.mean():.3f}, negative cos {neg.mean():.3f}")
        for beta in (0.0, 1.0):
            imp = torch.exp(beta * neg / tau)
            reweighted = (imp / imp.mean(1, keepdim=True) * torch.exp(neg / tau)).sum(1) if beta else s
            for tau_plus in (0.01, 0.05, 0.1):
                est = (reweighted - n * tau_plus * torch.exp(pos / tau)) / (1 - tau_plus)
                clamped = (est < n * math.exp(-1 / tau)).double().mean()
                print(f"  beta {beta} (HCL; 0 = DCL), tau_plus {tau_plus}: floor binds for {clamped:.0%} of anchors")


if __name__ == "__main__":
    main()
