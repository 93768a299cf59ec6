"""Time and profile unsupervised SimCSE steps outside Lightning: minilm_l6, batch 64 x 2 views, max_len 32.

    PYTHONPATH=src SENTEMB_DATA_DIR=../shared/data python experiments/bench/profiles/train_step_profile.py

Prints (forward s, backward s, optimizer s, padded tokens, real tokens) per step, then the PyTorch profiler's
table of one step. Output recorded in train_step_profile.txt.
"""

import sys
import tempfile
import time
from pathlib import Path

import torch
import torch.profiler as tp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_vs_st import wiki_lines  # noqa: E402

from sentemb.data.batches import DropoutPairBuilder  # noqa: E402
from sentemb.data.datamodule import TextDataModule  # noqa: E402
from sentemb.encoder.backbone import load_backbone  # noqa: E402
from sentemb.losses.infonce import InfoNCELoss  # noqa: E402
from sentemb.methods.contrastive import ContrastiveModule  # noqa: E402
from sentemb.paths import minilm_path  # noqa: E402
from sentemb.samplers.in_batch import InBatchSampler  # noqa: E402

torch.manual_seed(0)
module = ContrastiveModule(load_backbone(minilm_path()), InfoNCELoss(0.05), InBatchSampler(), pooling="mean", lr=3e-5)
lines = Path(tempfile.mkdtemp()) / "lines.txt"
lines.write_text("\n".join(wiki_lines(640)) + "\n")
dm = TextDataModule(lines, module.encoder.tokenizer, DropoutPairBuilder, batch_size=64, max_length=32, cache_dir=None)
dm.setup("fit")
optimizer = torch.optim.AdamW(module.parameters(), lr=3e-5)
batches = iter(dm.train_dataloader())
module.train()


def step(batch):
    t0 = time.perf_counter()
    loss = module.loss_fn(module.sampler(module.embed(batch), None))
    t1 = time.perf_counter()
    loss.backward()
    t2 = time.perf_counter()
    optimizer.step()
    optimizer.zero_grad(set_to_none=True)
    t3 = time.perf_counter()
    return t1 - t0, t2 - t1, t3 - t2, batch.input_ids.numel(), int(batch.attention_mask.sum())


for _ in range(2):
    print("warm-up", step(next(batches)))
for _ in range(3):
    print("step", step(next(batches)))
with tp.profile(activities=[tp.ProfilerActivity.CPU]) as prof:
    step(next(batches))
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=25))
