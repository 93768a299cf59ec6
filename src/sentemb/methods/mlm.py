"""The masked-language-model auxiliary objective of SimCSE (Gao et al., EMNLP 2021, Appendix F / Table D.1):
loss = contrastive + lambda * MLM, lambda = 0.1.

Masking as BERT and Hugging Face's DataCollatorForLanguageModeling: each input token that is not special
and not padding is chosen with probability `mask_prob` (0.15); of the chosen, 80% become the mask token,
10% a random token of the vocabulary, 10% stay as they are; the loss is the cross-entropy of the chosen
tokens only (labels -100 elsewhere). The masked copies of the batch's views (B*V, L) go through the
backbone in a separate forward pass, as in SimCSE's code, and an MLM head predicts the original tokens.

The head: the backbone checkpoint's own (`AutoModelForMaskedLM` weights, e.g. BERT's `cls.predictions`)
when its folder or Hub name has one, else a freshly initialised head of the same architecture; its decoder
is tied to the backbone's word embeddings either way.
"""

from __future__ import annotations

import logging

import torch
from torch import Tensor, nn
from torch.nn import functional as F

from sentemb.data.batches import Batch
from sentemb.errors import SettingError
from sentemb.methods.objectives import AuxiliaryObjective, AuxiliaryTerm

log = logging.getLogger(__name__)


def mask_tokens(input_ids: Tensor, maskable: Tensor, mask_token_id: int, vocab_size: int,
                mask_prob: float = 0.15, generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """BERT masking. input_ids (N, L) long, maskable (N, L) bool -> (masked ids (N, L), labels (N, L)),
    labels = the original id at chosen positions and -100 elsewhere."""
    def rand(shape):
        return torch.rand(shape, generator=generator, device=input_ids.device)

    chosen = (rand(input_ids.shape) < mask_prob) & maskable
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    to_mask = chosen & (rand(input_ids.shape) < 0.8)
    to_random = chosen & ~to_mask & (rand(input_ids.shape) < 0.5)
    random_ids = (rand(input_ids.shape) * vocab_size).long().clamp_(max=vocab_size - 1)
    masked = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(to_random, random_ids, masked)
    return masked, labels


def _head_of(mlm_model: nn.Module) -> nn.Module:
    """The MLM head submodule of a *ForMaskedLM model (everything but its base model)."""
    prefix = mlm_model.base_model_prefix
    heads = [m for name, m in mlm_model.named_children() if name != prefix]
    if len(heads) != 1:
        raise ValueError(f"cannot find the MLM head of {type(mlm_model).__name__}: children "
                         f"{[n for n, _ in mlm_model.named_children()]}")
    return heads[0]


def build_mlm_head(backbone_model: nn.Module, name_or_path: str | None) -> tuple[nn.Module, bool]:
    """(head, pretrained): the checkpoint's MLM head if `name_or_path` has one, else a fresh one.

    The head's decoder weight is the backbone's word-embedding Parameter (tied)."""
    from transformers import AutoModelForMaskedLM

    config = backbone_model.config
    head, pretrained = None, False
    if name_or_path and name_or_path != "tiny_random":
        try:
            mlm, info = AutoModelForMaskedLM.from_pretrained(name_or_path, config=config, output_loading_info=True)
            head_prefixes = tuple(n + "." for n, _ in mlm.named_children() if n != mlm.base_model_prefix)
            missing = [k for k in info["missing_keys"] if k.startswith(head_prefixes)
                       and not k.endswith(("decoder.weight", "decoder.bias"))]
            head, pretrained = _head_of(mlm), not missing
            if missing:
                head = None
        except (OSError, ValueError) as err:
            log.info("no MLM head loadable from %s (%s): a fresh head", name_or_path, err)
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
        self.mask_token_id: int | None = None
        self.register_buffer("special_ids", None, persistent=False)

    def bind(self, encoder) -> None:
        tok = encoder.tokenizer
        if tok.mask_token_id is None:
            raise SettingError(f"model.auxiliary.mlm: the tokenizer {type(tok).__name__} has no mask token")
        self.mask_token_id = int(tok.mask_token_id)
        self.vocab_size = int(encoder.model.get_input_embeddings().weight.shape[0])
        self.special_ids = torch.as_tensor(sorted(set(tok.all_special_ids)), dtype=torch.long)
        self.head, self.pretrained_head = build_mlm_head(encoder.model, encoder.backbone_name)

    def mask(self, input_ids: Tensor, attention_mask: Tensor) -> tuple[Tensor, Tensor]:
        maskable = attention_mask.bool() & ~torch.isin(input_ids, self.special_ids.to(input_ids.device))
        return mask_tokens(input_ids, maskable, self.mask_token_id, self.vocab_size, self.mask_prob)

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
