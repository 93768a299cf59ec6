"""Host RSS (current and peak, MiB) at each stage of a sentemb unsupervised SimCSE training run.

    PYTHONPATH=src SENTEMB_DATA_DIR=../shared/data python experiments/bench/profiles/rss_by_stage.py MODEL \\
        [--accelerator cpu|gpu] [--lines 256]

GPU runs use bf16-mixed, CPU runs float32. Output recorded in rss_by_stage.txt.
"""

import argparse
import os
import resource
import sys
import tempfile
from pathlib import Path

import lightning as L
import torch

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench_vs_st import wiki_lines  # noqa: E402

from sentemb.data.batches import DropoutPairBuilder  # noqa: E402
from sentemb.data.datamodule import TextDataModule  # noqa: E402
from sentemb.encoder.backbone import load_backbone  # noqa: E402
from sentemb.losses.infonce import InfoNCELoss  # noqa: E402
from sentemb.methods.contrastive import ContrastiveModule  # noqa: E402
from sentemb.samplers.in_batch import InBatchSampler  # noqa: E402


def rss(stage: str) -> None:
    current = int(open("/proc/self/statm").read().split()[1]) * os.sysconf("SC_PAGE_SIZE") // 2**20
    print(stage, "cur", current, "peak", resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024, flush=True)


class Probe(L.Callback):
    def on_fit_start(self, trainer, pl_module):
        rss("fit start")

    def on_train_batch_end(self, trainer, *args):
        if trainer.global_step in (1, 2, 4, 10, 40):
            rss(f"step {trainer.global_step}")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("model")
    parser.add_argument("--accelerator", default="cpu", choices=["cpu", "gpu"])
    parser.add_argument("--lines", type=int, default=256)
    args = parser.parse_args()
    rss("imports")
    if args.accelerator == "gpu":
        torch.zeros(1, device="cuda")
        rss("cuda context")
    module = ContrastiveModule(load_backbone(args.model), InfoNCELoss(0.05), InBatchSampler(), pooling="mean",
                               lr=3e-5)
    rss("model")
    tmp = tempfile.mkdtemp()
    lines = Path(tmp) / "lines.txt"
    lines.write_text("\n".join(wiki_lines(args.lines)) + "\n")
    dm = TextDataModule(lines, module.encoder.tokenizer, DropoutPairBuilder, batch_size=64, max_length=32,
                        cache_dir=None)
    dm.setup("fit")
    rss("data")
    trainer = L.Trainer(accelerator=args.accelerator, devices=1,
                        precision="bf16-mixed" if args.accelerator == "gpu" else "32-true", max_epochs=1,
                        logger=False, enable_checkpointing=False, enable_progress_bar=False,
                        enable_model_summary=False, default_root_dir=tmp, callbacks=[Probe()])
    rss("trainer")
    trainer.fit(module, datamodule=dm)
    rss("after fit")


if __name__ == "__main__":
    main()
