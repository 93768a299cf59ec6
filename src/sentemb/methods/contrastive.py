"""ContrastiveModule: encoder(views) -> sampler(embeddings) -> loss(pairs).

One module serves every method: the method's config picks the pooling, head, batch builder, sampler and
loss, which are independent pieces (so `model=arccse loss=infonce` is a plain config change).
"""

from __future__ import annotations

from collections.abc import Mapping

import lightning as L
from torch import Tensor, nn

from sentemb.data.batches import Batch
from sentemb.encoder.backbone import Backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.methods.optim import adamw_linear_schedule


class ContrastiveModule(L.LightningModule):
    """Args:
        backbone: transformer + tokenizer.
        loss: an nn.Module taking `ContrastivePairs` -> scalar.
        sampler: a callable (embeddings (B, V, D), labels) -> `ContrastivePairs`.
        pooling, mlp_head, head_in_eval: the encoder (see SentenceEncoder).
        eval_max_length: truncation when encoding for evaluation.
        lr, weight_decay, warmup_ratio: AdamW with linear schedule.
        gather_across_devices: gather embeddings from all processes (with gradients) before the sampler,
            so N processes see N x the negatives.
        auxiliary: optional name -> objective added to the loss (e.g. ArcCSE's triplet term). Each is an
            nn.Module with a float `weight` and `forward(module, batch, embeddings (B, V, D)) -> scalar`;
            total = main + sum(weight * term); terms with weight 0 are not computed. Logged as
            train/loss_main and train/aux/<name>.
    """

    def __init__(
        self,
        backbone: Backbone,
        loss: nn.Module,
        sampler,
        pooling: str = "cls_before_pooler",
        mlp_head: bool = False,
        head_in_eval: bool = False,
        eval_max_length: int = 256,
        lr: float = 3e-5,
        weight_decay: float = 0.0,
        warmup_ratio: float = 0.0,
        gather_across_devices: bool = True,
        auxiliary: Mapping[str, nn.Module] | None = None,
    ):
        super().__init__()
        self.save_hyperparameters(ignore=["backbone", "loss", "sampler", "auxiliary"])
        self.encoder = SentenceEncoder(backbone, pooling, mlp_head, head_in_eval, max_length=eval_max_length)
        self.loss_fn = loss
        self.sampler = sampler
        self.auxiliary = nn.ModuleDict(dict(auxiliary.items())) if auxiliary else None
        # from_pretrained leaves models in eval mode and Lightning keeps module modes as they are:
        # without this, dropout is off and SimCSE's two views are identical.
        self.train()

    def embed(self, batch: Batch) -> Tensor:
        """(B, V, L) token blocks -> (B, V, D): every view of the batch in one forward pass."""
        b, v, length = batch.input_ids.shape
        flat = self.encoder(batch.input_ids.reshape(b * v, length), batch.attention_mask.reshape(b * v, length))
        return flat.view(b, v, -1)

    def _gather(self, embeddings: Tensor, labels: Tensor | None) -> tuple[Tensor, Tensor | None]:
        if not self.hparams.gather_across_devices or self.trainer.world_size == 1:
            return embeddings, labels
        embeddings = self.all_gather(embeddings, sync_grads=True).flatten(0, 1)
        if labels is not None:
            labels = self.all_gather(labels).flatten(0, 1)
        return embeddings, labels

    def training_step(self, batch: Batch, batch_idx: int) -> Tensor:
        local = self.embed(batch)
        embeddings, labels = self._gather(local, batch.labels)
        loss = self.loss_fn(self.sampler(embeddings, labels))
        if self.auxiliary is not None:
            loss = self._add_auxiliary(loss, batch, local)
        self.log("train/loss", loss, prog_bar=True, batch_size=len(batch))
        return loss

    def _add_auxiliary(self, main: Tensor, batch: Batch, embeddings: Tensor) -> Tensor:
        self.log("train/loss_main", main, batch_size=len(batch))
        total = main
        for name, objective in self.auxiliary.items():
            if float(objective.weight) == 0.0:
                continue
            term = objective(self, batch, embeddings)
            self.log(f"train/aux/{name}", term, batch_size=len(batch))
            total = total + float(objective.weight) * term
        return total

    def configure_optimizers(self):
        h = self.hparams
        return adamw_linear_schedule(self, h.lr, h.weight_decay, h.warmup_ratio,
                                     self.trainer.estimated_stepping_batches)
