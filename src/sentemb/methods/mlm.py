"""The masked-language-model auxiliary objective of SimCSE (Gao et al., EMNLP 2021, Appendix F / Table D.1):
loss = contrastive + lambda * MLM, lambda = 0.1.

Masking as BERT (`sentemb.pretraining.masking.Masker`, the masker of MLM pretraining too): each input token
that is not special and not padding is chosen with probability `mask_prob` (0.15); of the chosen, 80% become
the mask token, 10% a random ordinary token of the tokenizer's vocabulary, 10% stay as they are; the loss is
the cross-entropy of the chosen tokens only (labels -100 elsewhere). The masked copies of the batch's views
(B*V, L) go through the backbone in a separate forward pass, as in SimCSE's code, and an MLM head predicts the
original tokens.

The head: the backbone checkpoint's own (`AutoModelForMaskedLM` weights, e.g. BERT's `cls.predictions`)
when its folder or Hub name has one, else a freshly initialised head of the same architecture; its decoder
is tied to the backbone's word embeddings either way.
"""

from __future__ import annotations

import logging

from torch import Tensor, nn
from torch.nn import functional as F

from sentemb.data.batches import Batch
from sentemb.errors import SettingError
from sentemb.methods.objectives import AuxiliaryObjective, AuxiliaryTerm
from sentemb.pretraining.masking import Masker

log = logging.getLogger(__name__)


def _head_of(mlm_model: nn.Module) -> nn.Module:
    """The MLM head submodule of a *ForMaskedLM model (everything but its base model)."""
    prefix = mlm_model.base_model_prefix
    heads = [m for name, m in mlm_model.named_children() if name != prefix]
    if len(heads) != 1:
        raise ValueError(f"cannot find the MLM head of {type(mlm_model).__name__}: children "
                         f"{[n for n, _ in mlm_model.named_children()]}")
    return heads[0]


def build_mlm_head(backbone_model: nn.Module, weights_from: str | None) -> tuple[nn.Module, bool]:
    """(head, pretrained): the MLM head of the checkpoint `weights_from` (a folder or Hub name) if it has one,
    else a fresh one (also when `weights_from` is None: a backbone with random weights has no checkpoint).

    The head's decoder weight is the backbone's word-embedding Parameter (tied)."""
    from transformers import AutoModelForMaskedLM

    config = backbone_model.config
    head, pretrained = None, False
    if weights_from is not None:
        try:
            mlm, info = AutoModelForMaskedLM.from_pretrained(weights_from, config=config, output_loading_info=True)
            head_prefixes = tuple(n + "." for n, _ in mlm.named_children() if n != mlm.base_model_prefix)
            missing = [k for k in info["missing_keys"] if k.startswith(head_prefixes)
                       and not k.endswith(("decoder.weight", "decoder.bias"))]
            head, pretrained = _head_of(mlm), not missing
            if missing:
                head = None
        except (OSError, ValueError) as err:
            log.info("no MLM head loadable from %s (%s): a fresh head", weights_from, err)
    if head is None:
        mlm = AutoModelForMaskedLM.from_config(config)
        head = _head_of(mlm)
    decoder = getattr(getattr(head, "predictions", head), "decoder", None)  # BERT: cls.predictions.decoder
    if decoder is None:
        raise ValueError(f"the MLM head {type(head).__name__} has no decoder to tie to the word embeddings")
    decoder.weight = backbone_model.get_input_embeddings().weight
    log.info("MLM head: %s", "the backbone checkpoint's" if pretrained else "freshly initialised")
    return head, pretrained


class MLMObjective(AuxiliaryObjective):
    """lambda * MLM on masked copies of the batch's views; see the module docstring.

    Args:
        weight: lambda (SimCSE: 0.1); 0 turns the term off (not computed). >= 0.
        mask_prob: share of the maskable tokens chosen (0.15).
        views: "all" (every view, as SimCSE's code) or "first" (view 0 only: half the extra compute).

    `bind(encoder)` (called by ContrastiveModule) builds the head from the encoder's backbone. Activity: the share
    of the masked sequences with at least one token chosen (a sequence without one adds nothing to the loss).
    """

    def __init__(self, weight: float = 0.1, mask_prob: float = 0.15, views: str = "all"):
        super().__init__(weight, "model.auxiliary.mlm")
        if not 0.0 < float(mask_prob) < 1.0:
            raise SettingError(f"model.auxiliary.mlm.mask_prob must be in (0, 1), got {mask_prob}")
        if views not in ("all", "first"):
            raise SettingError(f"model.auxiliary.mlm.views must be 'all' or 'first', got {views!r}")
        self.mask_prob, self.views = float(mask_prob), views
        self.head: nn.Module | None = None
        self.pretrained_head = False
        self.masker: Masker | None = None

    def bind(self, encoder) -> None:
        rows = int(encoder.model.get_input_embeddings().weight.shape[0])
        self.masker = Masker.for_tokenizer(encoder.tokenizer, rows, "model.auxiliary.mlm", mask_prob=self.mask_prob)
        self.head, self.pretrained_head = build_mlm_head(encoder.model, encoder.weights_from)

    def mask(self, input_ids: Tensor, attention_mask: Tensor) -> tuple[Tensor, Tensor]:
        """(N, L) ids and mask -> (masked ids (N, L), labels (N, L), -100 where not chosen)."""
        return self.masker(input_ids, attention_mask)

    def loss(self, model: nn.Module, masked_ids: Tensor, attention_mask: Tensor, labels: Tensor) -> Tensor:
        """Mean cross-entropy over the chosen tokens of (N, L) masked ids; 0 when none was chosen."""
        hidden = model(input_ids=masked_ids, attention_mask=attention_mask).last_hidden_state  # (N, L, H)
        logits = self.head(hidden)  # (N, L, vocab)
        if not bool((labels != -100).any()):
            return logits.sum() * 0.0
        return F.cross_entropy(logits.view(-1, logits.shape[-1]).float(), labels.view(-1), ignore_index=-100)

    def forward(self, module, batch: Batch, embeddings: Tensor) -> AuxiliaryTerm:
        if self.head is None:
            raise RuntimeError("MLMObjective.bind(encoder) was not called (ContrastiveModule does it)")
        ids, mask = batch.input_ids, batch.attention_mask
        if self.views == "first":
            ids, mask = ids[:, :1], mask[:, :1]
        ids, mask = ids.reshape(-1, ids.shape[-1]), mask.reshape(-1, mask.shape[-1])
        masked, labels = self.mask(ids, mask)
        acted = (labels != -100).any(dim=1).float().mean()
        return AuxiliaryTerm(self.loss(module.encoder.model, masked, mask, labels), activity=float(acted))

    def extra_repr(self) -> str:
        return f"weight={self.weight}, mask_prob={self.mask_prob}, views={self.views}"
