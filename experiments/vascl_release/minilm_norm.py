"""Scale of the mean-pooled all-MiniLM-L6-v2 vectors VaSCL perturbs (what eps is measured against):
    PYTHONPATH=src python experiments/vascl_release/minilm_norm.py     (data: ../shared/data or $SENTEMB_DATA_DIR)
"""

import torch

from sentemb.encoder.backbone import load_backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.paths import data_dir, minilm_path

lines = [line.strip() for line in open(data_dir() / "en" / "wiki1m_head.txt") if line.strip()][:256]
enc = SentenceEncoder(load_backbone(minilm_path()), pooling="mean").eval()
e = torch.tensor(enc.encode(lines, batch_size=64, max_length=32))
n = e.norm(dim=1)
print(f"mean-pooled norm over {len(lines)} sentences: mean {n.mean():.3f} median {n.median():.3f} "
      f"min {n.min():.3f} max {n.max():.3f}")
dist = (e.unsqueeze(1) - e.unsqueeze(0)).norm(dim=-1).fill_diagonal_(float("inf"))
print(f"distance to the 16th nearest neighbour: mean {dist.topk(16, largest=False).values[:, -1].mean():.3f}")
