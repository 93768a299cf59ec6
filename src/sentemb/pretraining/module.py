"""MLMPretrainModule: masked-language-model training of a `*ForMaskedLM` transformer (BERT, Devlin et al. 2019).

Each step masks the batch (masking.Masker: 15%, 80/10/10, optionally whole words), runs the encoder, and
applies the prediction head to the masked positions only ("sparse prediction", as in Cramming, Geiping &
Goldstein 2023): with a 16k vocabulary and a 256-wide model the vocabulary projection at every position
costs more than the encoder, and only ~15% of positions have a label. Models whose head is not a single
submodule fall back to the full logits. Rows without padding (packed blocks) go through attention
without a mask (the fast SDPA path).

Held-out evaluation uses the same masking with a fixed seed (the same masks at every evaluation, so the
curve moves with the model only) and reports token-weighted MLM loss and masked-token accuracy; every
evaluation is appended to `history_path` (jsonl: step, tokens seen, seconds, loss, accuracy).
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import lightning as L
import torch
from lightning.pytorch.callbacks import Timer
from torch import Tensor, nn
from torch.nn import functional as F

from sentemb.errors import SettingError
from sentemb.methods.optim import parameter_groups
from sentemb.pretraining.masking import Masker
from sentemb.pretraining.schedule import BudgetSchedule, budget_progress


def split_head(mlm_model: nn.Module) -> tuple[nn.Module, nn.Module | None]:
    """(encoder, head) of a *ForMaskedLM model; head None when it is not exactly one submodule."""
    base = getattr(mlm_model, mlm_model.base_model_prefix)
    heads = [m for name, m in mlm_model.named_children() if name != mlm_model.base_model_prefix]
    return base, (heads[0] if len(heads) == 1 else None)


def mlm_adamw(model: nn.Module, optim: dict) -> torch.optim.AdamW:
    """AdamW over `model`'s trainable parameters grouped as contrastive training groups them
    (`sentemb.methods.optim.parameter_groups`: no weight decay on biases and norms, BERT's recipe);
    `optim`: lr, weight_decay (0.01), betas ((0.9, 0.98)), eps (1e-6)."""
    lr = float(optim["lr"])
    if lr <= 0:
        raise SettingError(f"optim.lr must be > 0, got {optim['lr']}")
    return torch.optim.AdamW(parameter_groups(model, lr, float(optim.get("weight_decay", 0.01))), lr=lr,
                             betas=tuple(optim.get("betas", (0.9, 0.98))), eps=float(optim.get("eps", 1e-6)))


class MLMPretrainModule(L.LightningModule):
    """Args:
        model: a `*ForMaskedLM` Hugging Face model (weights tied as its config says).
        tokenizer: its tokenizer (special ids, mask token, vocabulary for whole-word masking).
        masking: Masker settings (mask_prob, mask_replace, random_replace, whole_word).
        optim: lr, weight_decay, betas, eps, warmup_steps, schedule (linear|cosine|constant), min_lr_ratio.
        dropout: dropout probability used while pretraining (null keeps the model config's); the saved
            config keeps its own value, so contrastive training later still has dropout noise.
        history_path: jsonl file the held-out evaluations are appended to (null: none).
        eval_seed: seed of the held-out masks.
        budget_seconds: the run's time budget (trainer max_time), for the schedule's progress; null = steps only.
    """

    def __init__(self, model: nn.Module, tokenizer, masking: dict, optim: dict, dropout: float | None = None,
                 history_path: str | None = None, eval_seed: int = 1234, budget_seconds: float | None = None):
        super().__init__()
        self.model, self.tokenizer = model, tokenizer
        vocab_rows = int(model.get_input_embeddings().weight.shape[0])
        self.masker = Masker.for_tokenizer(tokenizer, vocab_rows, **masking)
        self.optim = dict(optim)
        self._parts = list(split_head(model))  # a list: views into self.model, not registered twice
        if dropout is not None:
            for m in model.modules():
                if isinstance(m, nn.Dropout):
                    m.p = float(dropout)
        self.history_path = Path(history_path) if history_path else None
        self.eval_seed = int(eval_seed)
        self.budget_seconds = float(budget_seconds) if budget_seconds else None
        self.tokens_seen = 0
        self._val: list[Tensor] = []
        self._start: float | None = None

    def mlm_outputs(self, input_ids: Tensor, attention_mask: Tensor | None, labels: Tensor) -> tuple[Tensor, Tensor, Tensor]:
        """(mean cross-entropy over labelled positions, correct predictions, labelled positions)."""
        if attention_mask is not None and bool(attention_mask.all()):
            attention_mask = None  # packed blocks: no padding, SDPA's unmasked path
        chosen = labels != -100
        targets = labels[chosen]
        encoder, head = self._parts
        if head is not None:
            hidden = encoder(input_ids=input_ids, attention_mask=attention_mask).last_hidden_state  # (N, L, H)
            logits = head(hidden[chosen])  # (M, V)
        else:
            logits = self.model(input_ids=input_ids, attention_mask=attention_mask).logits[chosen]
        count = chosen.sum()
        if targets.numel() == 0:
            return logits.sum() * 0.0, count * 0, count
        loss = F.cross_entropy(logits.float(), targets)
        correct = (logits.argmax(-1) == targets).sum()
        return loss, correct, count

    def training_step(self, batch: dict, batch_idx: int) -> Tensor:
        ids, mask = batch["input_ids"], batch["attention_mask"]
        masked, labels = self.masker(ids, mask)
        loss, correct, count = self.mlm_outputs(masked, mask, labels)
        self.tokens_seen += int(mask.sum())
        size = ids.shape[0]
        self.log("train/loss", loss, prog_bar=True, batch_size=size)
        self.log("train/accuracy", correct.float() / count.clamp(min=1), batch_size=size)
        self.log("train/lr", self.optimizers().param_groups[0]["lr"], batch_size=size)
        self.log("train/tokens", float(self.tokens_seen), batch_size=size)
        return loss

    def on_train_start(self) -> None:
        self._start = time.perf_counter()
        self.model.train()  # from_pretrained leaves eval mode, which Lightning keeps

    def validation_step(self, batch: dict, batch_idx: int) -> None:
        ids, mask = batch["input_ids"], batch["attention_mask"]
        gen = torch.Generator(device=ids.device)
        gen.manual_seed(self.eval_seed + batch_idx)
        masked, labels = self.masker(ids, mask, generator=gen)
        loss, correct, count = self.mlm_outputs(masked, mask, labels)
        self._val.append(torch.stack([loss.detach().float() * count, correct.float(), count.float()]))

    def on_validation_epoch_end(self) -> None:
        if not self._val:
            return
        loss_sum, correct, count = torch.stack(self._val).sum(0)
        self._val.clear()
        loss, acc = loss_sum / count.clamp(min=1), correct / count.clamp(min=1)
        self.log("val/mlm_loss", loss, prog_bar=True)
        self.log("val/mlm_accuracy", acc, prog_bar=True)
        if self.history_path is not None and not self.trainer.sanity_checking and self.trainer.is_global_zero:
            record = {"step": int(self.global_step), "tokens_seen": int(self.tokens_seen),
                      "seconds": round(time.perf_counter() - self._start, 1) if self._start else 0.0,
                      "mlm_loss": round(float(loss), 5), "mlm_accuracy": round(float(acc), 5),
                      "masked_tokens": int(count)}
            self.history_path.parent.mkdir(parents=True, exist_ok=True)
            with open(self.history_path, "a") as fh:
                fh.write(json.dumps(record) + "\n")

    def _elapsed(self) -> float | None:
        timer = next((cb for cb in self.trainer.callbacks if isinstance(cb, Timer)), None)
        return timer.time_elapsed("train") if timer is not None else None

    def configure_optimizers(self) -> dict:
        o = self.optim
        optimizer = mlm_adamw(self.model, o)
        progress = budget_progress(self.trainer.max_steps, self.budget_seconds, self._elapsed)
        schedule = BudgetSchedule(o.get("schedule", "linear"), int(o.get("warmup_steps", 0)),
                                  float(o.get("min_lr_ratio", 0.0)), progress)
        def factor(step: int) -> float:  # a plain function: LambdaLR keeps it out of checkpoints
            return schedule(step)

        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, factor)
        return {"optimizer": optimizer, "lr_scheduler": {"scheduler": scheduler, "interval": "step"}}

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["mlm_tokens_seen"] = self.tokens_seen

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        self.tokens_seen = int(checkpoint.get("mlm_tokens_seen", 0))
