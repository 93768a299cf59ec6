"""The model and tokenizer a pretraining config asks for.

From scratch (`backbone: null`): a tokenizer trained on the corpus (tokenizer.py) or loaded from
`tokenizer.name_or_path`, and a `*ForMaskedLM` model built from `model.architecture` (model_type plus
Hugging Face config fields: num_hidden_layers, hidden_size, num_attention_heads, intermediate_size,
max_position_embeddings, ...), vocabulary size = the tokenizer's.

Continued (`backbone=NAME` or `backbone.name_or_path=PATH`): the backbone's `AutoModelForMaskedLM` (its MLM
head when the checkpoint has one, else a fresh head) and its tokenizer; domain-adaptive pretraining.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from transformers import AutoConfig, AutoModelForMaskedLM, AutoTokenizer

from sentemb.errors import SettingError
from sentemb.pretraining.made_backbone import check_made_folder
from sentemb.pretraining.tokenizer import train_wordpiece

log = logging.getLogger(__name__)


def backbone_source(backbone: Any) -> str | None:
    """The folder or Hub name to continue from (None: from scratch); a made backbone is checked first."""
    if not backbone:
        return None
    name = backbone.get("name_or_path")
    if not name:
        raise SettingError(f"pretraining continues from a folder or Hub name, but this backbone option "
                         f"({backbone.get('_target_')}) has no name_or_path; use backbone=null (from scratch, "
                         "model.architecture) or backbone.name_or_path=PATH")
    if backbone.get("how_to_make"):
        check_made_folder(name, backbone["how_to_make"])
    return str(name)


def build_tokenizer(settings: Any, source: str | None, train_lines: Sequence[str]):
    """(tokenizer, trained?): tokenizer.name_or_path, else the backbone's, else WordPiece trained on the lines."""
    name = settings.get("name_or_path") or source
    if name:
        tokenizer = AutoTokenizer.from_pretrained(str(name))
        log.info("tokenizer from %s (%d tokens)", name, len(tokenizer))
        return tokenizer, False
    tokenizer = train_wordpiece(train_lines, vocab_size=settings.get("vocab_size", 16000),
                                lowercase=settings.get("lowercase", True),
                                min_frequency=settings.get("min_frequency", 2),
                                model_max_length=settings.get("model_max_length", 512))
    return tokenizer, True


def build_model(architecture: Any, source: str | None, tokenizer, attn_implementation: str | None = "sdpa"):
    """A `*ForMaskedLM` model: from `source` (continued) or from `architecture` (random weights)."""
    if source:
        model = AutoModelForMaskedLM.from_pretrained(source, attn_implementation=attn_implementation)
        if len(tokenizer) > model.get_input_embeddings().weight.shape[0]:
            model.resize_token_embeddings(len(tokenizer))
        return model
    arch = dict(architecture or {})
    model_type = arch.pop("model_type", "bert")
    config = AutoConfig.for_model(model_type, vocab_size=len(tokenizer), pad_token_id=tokenizer.pad_token_id, **arch)
    config._attn_implementation = attn_implementation
    if getattr(config, "max_position_embeddings", 512) < 256:
        log.warning("model.architecture.max_position_embeddings=%d: sentence-embedding evaluation encodes up to "
                    "model.eval_max_length=256 tokens; longer inputs would not fit", config.max_position_embeddings)
    model = AutoModelForMaskedLM.from_config(config)
    log.info("new %s from scratch: %s parameters", model_type, f"{sum(p.numel() for p in model.parameters()):,}")
    return model
