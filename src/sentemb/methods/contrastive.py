"""ContrastiveModule: encoder(views) -> sampler(embeddings) -> loss(pairs).

One module serves every method: the method's config picks the pooling, head, batch builder, sampler and
loss, which are independent pieces called through their contracts (`sentemb.contracts`), so swapping a
method's loss for another is a plain config change.
"""

from __future__ import annotations

from collections.abc import Mapping

import lightning as L
import torch
from lightning.pytorch.utilities import rank_zero_warn
from torch import Tensor, nn

from sentemb.contracts import AuxiliaryObjective, Loss, Sampler, check_contract
from sentemb.data.batches import Batch
from sentemb.distributed import (
    freeze_own_parameters,
    gather_no_grad,
    gather_objects,
    gather_with_grad,
    rank_and_world,
)
from sentemb.encoder.backbone import Backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.encoder.subbatch import check_sub_batches, embed_in_sub_batches
from sentemb.errors import SettingError
from sentemb.methods.activity import ActivityMonitor, setting_of
from sentemb.methods.faults import non_finite_loss_error
from sentemb.methods.grad_cache import grad_cache_backward
from sentemb.methods.momentum import MomentumEncoder
from sentemb.methods.optim import adamw_linear_schedule
from sentemb.rng import rng_states, set_rng_states


class ContrastiveModule(L.LightningModule):
    """Args:
        backbone: transformer + tokenizer.
        loss: a `sentemb.contracts.Loss` (an nn.Module taking `ContrastivePairs` -> scalar).
        sampler: a `sentemb.contracts.Sampler` ((embeddings (B, V, D), labels) -> `ContrastivePairs`).
        pooling, mlp_head, head_in_eval: the encoder (see SentenceEncoder).
        eval_max_length: truncation when encoding for evaluation.
        lr, weight_decay, warmup_ratio, lr_schedule: AdamW with a "linear" (warm-up, decay to 0) or "constant"
            schedule (`sentemb.methods.optim`; parameters under an `LRScaled` module train at lr * its scale).
        gather_across_devices: gather embeddings from all processes (with gradients) before the sampler,
            so N processes see N x the negatives.
        grad_cache_chunk_size: embed batches in chunks of this many examples with cached gradients
            (GradCache): the loss sees the whole batch, memory holds one chunk's activations.
        skip_nonfinite_loss: skip (and count) batches whose loss is NaN/inf instead of stopping the run.
        sub_batches: encode a batch's rows in length-sorted chunks, each padded to its own longest row
            (same loss, fewer padding FLOPs): 'auto', at most N chunks, or None (one forward pass); see
            sentemb.encoder.subbatch.
        auxiliary: optional name -> `AuxiliaryObjective` (sentemb.methods.objectives) added to the loss (e.g.
            a triplet or MLM term): total = main + sum(weight * term.loss); terms with weight 0 are not
            computed. Logged as train/loss_main, train/aux/<name> and train/aux/<name>_active. Each is bound
            to the encoder at construction (`bind`; e.g. the MLM objective builds its head there).
        inert_patience: warn once when a term's activity (sampler/loss `ContrastivePairs.activity`, auxiliary
            `AuxiliaryTerm.activity`) has been 0 for this many consecutive steps; `activity_monitor.summary()`
            is the run's record (results.json `activity`).
    """

    def __init__(
        self,
        backbone: Backbone,
        loss: Loss,
        sampler: Sampler,
        pooling: str = "cls_before_pooler",
        mlp_head: bool = False,
        head_in_eval: bool = False,
        eval_max_length: int = 256,
        lr: float = 3e-5,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.0,
        lr_schedule: str = "linear",
        gather_across_devices: bool = True,
        grad_cache_chunk_size: int | None = None,
        skip_nonfinite_loss: bool = False,
        sub_batches: int | str | None = "auto",
        auxiliary: Mapping[str, nn.Module] | None = None,
        inert_patience: int = 50,
    ):
        super().__init__()
        check_sub_batches(sub_batches)
        self.save_hyperparameters(ignore=["backbone", "loss", "sampler", "auxiliary"])
        self.encoder = SentenceEncoder(backbone, pooling, mlp_head, head_in_eval, max_length=eval_max_length)
        check_contract(loss, Loss, "loss")
        check_contract(sampler, Sampler, "sampler")
        for name, objective in (auxiliary or {}).items():
            check_contract(objective, AuxiliaryObjective, f"model.auxiliary.{name}")
        loss.set_embedding_dim(self.encoder.hidden_size)  # losses with layers of their own build them here
        self.loss_fn = loss  # a submodule: its parameters are trained and checkpointed with the encoder
        self.sampler = sampler
        momentum = sampler.momentum  # e.g. sampler=false_negative sampler.momentum=0.99
        self.momentum_encoder = MomentumEncoder(self.encoder, momentum) if momentum is not None else None
        self.skipped_batches = 0
        self.auxiliary = nn.ModuleDict(dict(auxiliary.items())) if auxiliary else None
        for objective in (self.auxiliary or {}).values():
            objective.bind(self.encoder)
            if float(objective.weight) == 0.0:  # never computed: its own layers stay out of training and DDP
                freeze_own_parameters(objective, self.encoder)
        self.activity_monitor = ActivityMonitor(inert_patience)
        # from_pretrained leaves models in eval mode and Lightning keeps module modes as they are:
        # without this, dropout is off and two dropout views of a sentence are identical.
        self.train()
        if grad_cache_chunk_size is not None:
            if auxiliary:
                raise SettingError("model.grad_cache_chunk_size cannot be combined with auxiliary objectives "
                                 f"({', '.join(auxiliary)}): set one of them to null")
            if grad_cache_chunk_size < 1:
                raise SettingError(f"model.grad_cache_chunk_size must be >= 1 or null, got {grad_cache_chunk_size}")
            self.automatic_optimization = False  # GradCache runs its own backward passes

    def embed(self, batch: Batch) -> Tensor:
        """(B, V, L) token blocks -> (B, V, D): every view of the batch, in length-sorted chunks
        (`model.sub_batches`), in the batch's order."""
        b, v, length = batch.input_ids.shape
        flat = embed_in_sub_batches(self.encoder, batch.input_ids.reshape(b * v, length),
                                    batch.attention_mask.reshape(b * v, length), self.hparams.sub_batches)
        return flat.view(b, v, -1)

    def gather(self, embeddings: Tensor) -> Tensor:
        """(B, ...) of this process -> (N*B, ...) of all N processes with gradients (model.gather_across_devices;
        else unchanged): for objectives that compare every example of the batch with every other."""
        return gather_with_grad(embeddings) if self.hparams.gather_across_devices else embeddings

    def _gather(self, embeddings: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
        if not self.hparams.gather_across_devices:
            return embeddings, labels
        return gather_with_grad(embeddings), (gather_no_grad(labels) if labels is not None else None)

    def sample(self, embeddings: Tensor, labels: Tensor | None, batch: Batch):
        """sampler(embeddings, labels) -> ContrastivePairs; samplers with `uses_text_ids` also get the
        batch's (gathered) `text_ids=` (B, V) or None, and, when the sampler sets `momentum`, the momentum
        encoder's `detect_embeddings=` (B, V, D). Embeddings and labels are gathered already."""
        if not self.sampler.uses_text_ids:
            return self.sampler(embeddings, labels)
        gather = gather_no_grad if self.hparams.gather_across_devices else (lambda t: t)
        text_ids = None if batch.text_ids is None else gather(batch.text_ids.contiguous())
        if self.momentum_encoder is None:
            return self.sampler(embeddings, labels, text_ids=text_ids)
        detect = gather(self.momentum_encoder.embed(batch.input_ids, batch.attention_mask).contiguous())
        return self.sampler(embeddings, labels, text_ids=text_ids, detect_embeddings=detect)

    def on_train_batch_end(self, outputs, batch, batch_idx: int) -> None:
        if self.momentum_encoder is not None:
            self.momentum_encoder.update(self.encoder)

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        if not self.automatic_optimization:
            return self._grad_cache_step(batch)
        local = self.embed(batch)
        embeddings, labels = self._gather(local, batch.labels)
        pairs = self.sample(embeddings, labels, batch)
        loss = self.loss_fn(pairs)  # may add to pairs.stats / pairs.activity (e.g. DCL's clamp)
        for name, value in (pairs.stats or {}).items():
            self.log(f"train/{name}", float(value), batch_size=len(batch))
        for name, value in (pairs.activity or {}).items():
            self._record_activity(name, value, setting_of(name), len(batch))
        if self.auxiliary is not None:
            loss = self._add_auxiliary(loss, batch, local)
        if not self._finite(loss, batch):
            return None  # Lightning skips the optimizer step
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch))
        return loss

    def _finite(self, loss: Tensor, batch: Batch) -> bool:
        if bool(torch.isfinite(loss)):
            return True
        if not self.hparams.skip_nonfinite_loss:
            ckpt = getattr(self.trainer.checkpoint_callback, "dirpath", None)
            raise non_finite_loss_error(self.global_step, float(loss), batch, self.encoder.tokenizer, ckpt)
        self.skipped_batches += 1
        self.log("train/skipped_nonfinite", float(self.skipped_batches))
        return False

    def _grad_cache_step(self, batch: Batch) -> Tensor:
        optimizer, scheduler = self.optimizers(), self.lr_schedulers()
        optimizer.zero_grad()
        loss = grad_cache_backward(self, batch, self.hparams.grad_cache_chunk_size, self.manual_backward)
        optimizer.step()
        scheduler.step()
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch))
        return loss

    def on_fit_start(self) -> None:
        if self.trainer.accumulate_grad_batches > 1:
            rank_zero_warn(
                f"trainer.accumulate_grad_batches={self.trainer.accumulate_grad_batches} does not enlarge the pool "
                "of in-batch negatives (each micro-batch is its own contrastive problem); for a larger effective "
                "batch with all negatives use model.grad_cache_chunk_size (GradCache) instead"
            )

    def optimizer_step(self, epoch, batch_idx, optimizer, optimizer_closure=None) -> None:
        """Lightning's closure zeroes gradients after the forward pass, so the last step's gradients
        (one float per parameter) would stay allocated through the next forward, at the peak of activation
        memory; free them right after the update instead."""
        super().optimizer_step(epoch, batch_idx, optimizer, optimizer_closure)
        optimizer.zero_grad(set_to_none=True)

    def on_train_end(self) -> None:
        """Free the optimizer state and gradients once training is over. The callbacks' `on_train_end`
        (last checkpoint) has run already; Lightning's teardown would next copy this state to the host:
        on a bf16 bert-base GPU run that copy raised the process's peak RSS from 1.9 GB to 3.6 GB."""
        for optimizer in self.trainer.optimizers:
            optimizer.state.clear()
        self.zero_grad(set_to_none=True)

    def on_save_checkpoint(self, checkpoint: dict) -> None:
        checkpoint["rng_states"] = gather_objects(rng_states())  # one per process (DDP), in rank order
        checkpoint["activity"] = self.activity_monitor.state_dict()

    def on_load_checkpoint(self, checkpoint: dict) -> None:
        """Dropout masks after a resume equal an uninterrupted run's, on every process (each its own state;
        a checkpoint from a different number of processes gives every process rank 0's)."""
        states = checkpoint.get("rng_states")
        if states:
            states = states if isinstance(states, list) else [states]  # checkpoints of one process before
            rank, world = rank_and_world()
            set_rng_states(states[rank] if len(states) == world else states[0])
        self.activity_monitor.load_state_dict(checkpoint.get("activity", {}))

    def _record_activity(self, name: str, share: float, setting: str, batch_size: int) -> None:
        self.log(f"train/{name}_active", float(share), batch_size=batch_size)
        self.activity_monitor.update(name, share, setting)

    def _add_auxiliary(self, main: Tensor, batch: Batch, embeddings: Tensor) -> Tensor:
        self.log("train/loss_main", main, batch_size=len(batch))
        total = main
        for name, objective in self.auxiliary.items():
            if float(objective.weight) == 0.0:
                continue
            term = objective(self, batch, embeddings)  # an AuxiliaryTerm
            self.log(f"train/aux/{name}", term.loss, batch_size=len(batch))
            for key, value in term.stats.items():
                self.log(f"train/aux/{name}/{key}", float(value), batch_size=len(batch))
            self._record_activity(f"aux/{name}", term.activity, f"the settings of model.auxiliary.{name} "
                                  f"(or model.auxiliary.{name}.weight=0 to drop the term)", len(batch))
            total = total + float(objective.weight) * term.loss
        return total

    def configure_optimizers(self):
        h = self.hparams
        return adamw_linear_schedule(self, h.lr, h.weight_decay, h.warmup_ratio,
                                     self.trainer.estimated_stepping_batches, h.lr_schedule)
