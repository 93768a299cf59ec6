"""Step-matched tuning of the offline MLM recipe on a fast machine (a GPU), for settings meant for 2 CPU cores.

    python experiments/pretrain_tuning/tune_steps.py BLOCKS_DIR OUT.jsonl --tokens 14.6e6 \
        --grid '[{"lr": 1e-3, "batch": 64}, {"lr": 5e-4, "batch": 32, "warmup": 300}]'

The training dynamics of a run depend on its steps, not on the device: a CPU run of the recipe that sees
T tokens in its time budget is replayed here with the same model, masking, optimizer and schedule for
T / (batch * block length) steps (unpacked rows, `"block": "rows"`: T / (batch * mean row length)) (linear decay over those steps, as the time-based decay does at a
constant step rate). Each setting's held-out masked-token accuracy curve (fixed masks, the recipe's
held-out blocks) goes to OUT.jsonl, one line per evaluation. BLOCKS_DIR comes from build_blocks.py.
TF32 matrix products (as `float32_matmul_precision: high`) are used where the device has them.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import torch
from transformers import AutoTokenizer

from sentemb.data.resumable import ResumableShuffleSampler
from sentemb.pretraining.build import build_model
from sentemb.pretraining.module import MLMPretrainModule, mlm_adamw
from sentemb.pretraining.packing import block_batch, pad_rows
from sentemb.pretraining.schedule import BudgetSchedule


def on_device(batch: dict, device) -> tuple[torch.Tensor, torch.Tensor]:
    return batch["input_ids"].to(device, non_blocking=True), batch["attention_mask"].to(device, non_blocking=True)


def batch_of(blocks: torch.Tensor, lengths: torch.Tensor, device) -> tuple[torch.Tensor, torch.Tensor]:
    return on_device(block_batch(list(zip(blocks.long(), lengths))), device)


class Rows:
    """Unpacked sentence rows (rows.pt), batched `batch` rows at a time with length grouping (windows of 50
    batches sorted by length, as the recipe's `batching.group_by_length`), padded to each batch's longest."""

    def __init__(self, data: dict, split: str, batch: int, seed: int, group: int = 50):
        self.tokens, self.offsets = data[f"{split}_tokens"].long(), data[f"{split}_offsets"]
        self.lengths = (self.offsets[1:] - self.offsets[:-1]).tolist()
        self.batch, self.seed, self.group, self.epoch = batch, seed, group, 0

    def padded(self, idx: list[int], device) -> tuple[torch.Tensor, torch.Tensor]:
        rows = [self.tokens[self.offsets[i]: self.offsets[i + 1]] for i in idx]
        return on_device(pad_rows(rows, pad_id=0), device)  # [PAD] is 0 in the recipe's WordPiece vocabulary

    def batches(self, shuffle: bool = True):
        while True:
            if shuffle:
                sampler = ResumableShuffleSampler(len(self.lengths), self.seed, self.lengths, self.group, self.batch)
                sampler.set_epoch(self.epoch)
                self.epoch += 1
                order = list(sampler)
            else:
                order = list(range(len(self.lengths)))
            for start in range(0, len(order) - self.batch + 1 if shuffle else len(order), self.batch):
                yield order[start: start + self.batch]
            if not shuffle:
                return


def mlm_step(module: MLMPretrainModule, ids, mask, generator=None):
    """The recipe's step: its masking, then its sparse-head loss -> (loss, correct, masked positions)."""
    masked, labels = module.masker(ids, mask, generator=generator)
    return module.mlm_outputs(masked, mask, labels)


@torch.no_grad()
def heldout(module: MLMPretrainModule, batches, device, seed=1234) -> tuple[float, float]:
    module.eval()
    loss_sum = correct = count = 0.0
    for i, (ids, mask) in enumerate(batches):
        gen = torch.Generator(device=device)
        gen.manual_seed(seed + i)
        loss, c, n = mlm_step(module, ids, mask, gen)
        loss_sum += float(loss) * int(n)
        correct += float(c)
        count += int(n)
    module.train()
    return loss_sum / count, correct / count


def block_stream(data: dict, batch: int, seed: int, device):
    train, train_len = data["train"], data["train_lengths"]
    gen = torch.Generator()
    gen.manual_seed(seed)
    while True:
        order = torch.randperm(len(train), generator=gen)
        for start in range(0, len(order) - batch + 1, batch):
            idx = order[start: start + batch]
            yield batch_of(train[idx], train_len[idx], device)


def run(setting: dict, folder: Path, tokenizer, arch: dict, tokens: float, device, out, eval_every: int,
        save_dir: str | None = None) -> None:
    torch.manual_seed(setting.get("seed", 42))
    batch, block = int(setting.get("batch", 64)), setting.get("block", 128)
    if block == "rows":  # unpacked sentences; `batch` rows a step; steps from the mean row length
        data = torch.load(folder / "rows.pt")
        train_rows, held_rows = Rows(data, "train", batch, setting.get("seed", 42)), Rows(data, "heldout", 256, 0)
        length = len(train_rows.tokens) / len(train_rows.lengths)
        held = [held_rows.padded(idx, device) for idx in held_rows.batches(shuffle=False)]
        stream = (train_rows.padded(idx, device) for idx in train_rows.batches())
    else:  # packed blocks of `block` tokens
        data = torch.load(folder / f"blocks_{block}.pt")
        length = data["train"].shape[1]
        held = [batch_of(data["heldout"][i:i + 128], data["heldout_lengths"][i:i + 128], device)
                for i in range(0, len(data["heldout"]), 128)]
        stream = block_stream(data, batch, setting.get("seed", 42), device)
    steps = int(tokens // (batch * length))
    a = dict(arch)
    a.update(setting.get("arch", {}))
    model = build_model(a, None, tokenizer)
    optim = {"lr": setting["lr"], "weight_decay": setting.get("wd", 0.01), "betas": setting.get("betas", (0.9, 0.98))}
    module = MLMPretrainModule(model, tokenizer, masking={"mask_prob": setting.get("mask_prob", 0.15),
                                                          "whole_word": setting.get("whole_word", True)},
                               optim=optim, dropout=setting.get("dropout", 0.0)).to(device)
    opt = mlm_adamw(model, optim)
    sched = BudgetSchedule(setting.get("schedule", "linear"), setting.get("warmup", 200),
                           setting.get("min_ratio", 0.0), lambda s: s / steps)
    lr_sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: sched(s))
    started, seen = time.perf_counter(), 0
    module.train()
    for step in range(1, steps + 1):
        ids, mask = next(stream)
        seen += int(mask.sum())
        loss, _, _ = mlm_step(module, ids, mask)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), setting.get("clip", 1.0))
        opt.step()
        lr_sched.step()
        if step % eval_every == 0 or step == steps:
            h_loss, h_acc = heldout(module, held, device)
            record = {"setting": setting, "step": step, "steps": steps, "tokens": seen,
                      "train_loss": round(float(loss), 4), "heldout_loss": round(h_loss, 4),
                      "heldout_accuracy": round(h_acc, 5), "seconds": round(time.perf_counter() - started, 1)}
            out.write(json.dumps(record) + "\n")
            out.flush()
            print(json.dumps(record), flush=True)
    if save_dir:  # a Hugging Face folder (the config keeps its own dropout), for contrastive runs from it
        model.save_pretrained(save_dir)
        tokenizer.save_pretrained(save_dir)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("blocks_dir")
    p.add_argument("out_jsonl")
    p.add_argument("--tokens", type=float, required=True, help="tokens the CPU run sees in its budget")
    p.add_argument("--grid", required=True, help="JSON list of settings (lr, batch, block, warmup, schedule, whole_word, dropout, ...)")
    p.add_argument("--eval-every", type=int, default=500)
    p.add_argument("--save", help="save the (last) setting's model here as a Hugging Face folder")
    args = p.parse_args()
    device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
    torch.set_float32_matmul_precision("high")
    folder = Path(args.blocks_dir)
    arch = json.loads((folder / "architecture.json").read_text())["architecture"]
    tokenizer = AutoTokenizer.from_pretrained(str(folder / "tokenizer"))
    with open(args.out_jsonl, "a") as out:
        for setting in json.loads(args.grid):
            run(setting, folder, tokenizer, arch, args.tokens, device, out, args.eval_every, args.save)


if __name__ == "__main__":
    main()
