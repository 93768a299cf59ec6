"""Tokenise a list of sentences once into a Hugging Face `datasets.Dataset`, cached on disk."""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

import datasets

log = logging.getLogger(__name__)


def _cache_key(parts: dict) -> str:
    return hashlib.sha1(json.dumps(parts, sort_keys=True, default=str).encode()).hexdigest()[:16]


def tokenizer_identity(tokenizer) -> dict:
    vocab_hash = hashlib.sha1(json.dumps(sorted(tokenizer.get_vocab().items())).encode()).hexdigest()[:12]
    return {"class": type(tokenizer).__name__, "vocab": vocab_hash, "lower": getattr(tokenizer, "do_lower_case", None)}


def tokenize_to_dataset(
    sentences: list[str],
    tokenizer,
    max_length: int,
    cache_dir: str | Path | None,
    source_id: dict,
) -> datasets.Dataset:
    """Columns `input_ids` (list of ints, truncated to max_length, with special tokens) and `index`.

    `source_id` identifies the sentences (file path, size, mtime, ...): with the tokenizer's vocabulary
    and max_length it keys the cache, so a changed file or tokenizer is tokenised again.
    """
    key = _cache_key({"source": source_id, "tokenizer": tokenizer_identity(tokenizer), "max_length": max_length})
    cache_path = Path(cache_dir).expanduser() / f"tokenized-{key}" if cache_dir else None
    if cache_path is not None and (cache_path / "dataset_info.json").exists():
        log.info("tokenised data from cache %s", cache_path)
        return datasets.load_from_disk(str(cache_path))

    def encode(batch: dict) -> dict:
        enc = tokenizer(batch["text"], truncation=True, max_length=max_length, add_special_tokens=True)
        return {"input_ids": enc["input_ids"]}

    ds = datasets.Dataset.from_dict({"text": sentences, "index": list(range(len(sentences)))})
    ds = ds.map(encode, batched=True, batch_size=1000, remove_columns=["text"], desc="tokenise")
    if cache_path is not None:
        tmp = cache_path.with_name(cache_path.name + ".tmp")
        shutil.rmtree(tmp, ignore_errors=True)
        ds.save_to_disk(str(tmp))
        shutil.rmtree(cache_path, ignore_errors=True)
        tmp.rename(cache_path)  # atomic: a crash mid-write never leaves a half cache under the real name
        ds = datasets.load_from_disk(str(cache_path))
    return ds
