"""Loading the Hugging Face transformer under an encoder: by Hub name, local folder, or a random config."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from transformers import AutoConfig, AutoModel, AutoTokenizer, PreTrainedModel, PreTrainedTokenizerBase

from sentemb.errors import MissingFileError

log = logging.getLogger(__name__)

WEIGHT_FILES = ("model.safetensors", "model.safetensors.index.json", "pytorch_model.bin")


@dataclass
class Backbone:
    """A transformer and its tokenizer; `name` is what the config asked for (for logs and results);
    `weights_from` is the folder or Hub name its weights were loaded from (where heads of the same checkpoint,
    e.g. its MLM head, can be found), None when the weights are random."""

    model: PreTrainedModel
    tokenizer: PreTrainedTokenizerBase
    name: str
    weights_from: str | None = None


def _meant_as_path(name: str) -> bool:
    # Hub names are "model" or "org/model"; anything else with a slash, or starting with . / ~, is a path.
    return name.startswith((".", "/", "~")) or name.count("/") > 1


def load_backbone(
    name_or_path: str,
    tokenizer_name_or_path: str | None = None,
    random_init: bool = False,
    config_overrides: dict[str, Any] | None = None,
    trust_remote_code: bool = False,
    revision: str | None = None,
    attn_implementation: str | None = "sdpa",
) -> Backbone:
    """Load `name_or_path` (a local folder or a Hub name; the Hub needs a network).

    `random_init=True` builds the model from its config (plus `config_overrides`) with random weights:
    used for tests (tiny_random) and speed benchmarks without downloading weights.
    """
    name = str(name_or_path)
    path = Path(name).expanduser()
    is_local = path.is_dir()
    if _meant_as_path(name) and not is_local:
        raise MissingFileError(f"backbone.name_or_path='{name}': no such folder")
    if is_local and not random_init and not any((path / f).exists() for f in WEIGHT_FILES):
        raise MissingFileError(
            f"backbone.name_or_path='{name}' is a folder without weights (looked for {', '.join(WEIGHT_FILES)})"
        )
    kwargs: dict[str, Any] = {"trust_remote_code": trust_remote_code, "revision": revision}
    try:
        config = AutoConfig.from_pretrained(name, **kwargs)
        for key, value in (config_overrides or {}).items():
            setattr(config, key, value)
        if attn_implementation:
            config._attn_implementation = attn_implementation
        if random_init:
            model = AutoModel.from_config(config, trust_remote_code=trust_remote_code)
        else:
            model = AutoModel.from_pretrained(name, config=config, **kwargs)
        tokenizer = AutoTokenizer.from_pretrained(tokenizer_name_or_path or name, **kwargs)
    except OSError as err:
        where = "local folder" if is_local else "Hugging Face Hub name"
        raise MissingFileError(
            f"could not load backbone '{name}' ({where}): {err}. Without network access only local folders "
            "load: set backbone.name_or_path to a folder with config.json, weights and tokenizer, "
            "or use backbone=minilm_l6 (offline)."
        ) from err
    log.info("backbone %s: %s parameters", name, f"{sum(p.numel() for p in model.parameters()):,}")
    return Backbone(model=model, tokenizer=tokenizer, name=name, weights_from=None if random_init else name)


def tiny_random_backbone(tokenizer_name_or_path: str, **config: Any) -> Backbone:
    """A small BERT built from a config with random weights (unit tests): fast, deterministic per seed."""
    from transformers import BertConfig, BertModel

    tokenizer = AutoTokenizer.from_pretrained(tokenizer_name_or_path)
    cfg = BertConfig(vocab_size=len(tokenizer), **config)
    cfg._attn_implementation = "sdpa"
    return Backbone(model=BertModel(cfg), tokenizer=tokenizer, name="tiny_random")
