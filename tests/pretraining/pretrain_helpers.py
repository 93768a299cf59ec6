"""Helpers of the pretraining tests: a small WordPiece tokenizer trained on the test sentences, tiny overrides."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

from conftest import SENTENCES

EXTRA = ["Unbelievably, the archaeologists excavated extraordinary artefacts yesterday.",
         "Archaeologists believe the artefacts are extraordinary."]


@lru_cache(maxsize=1)
def tiny_wordpiece():
    from sentemb.pretraining.tokenizer import train_wordpiece

    return train_wordpiece(SENTENCES * 3 + EXTRA, vocab_size=120, min_frequency=1)


def tiny_pretrain_overrides(corpus: Path, tmp_path: Path) -> list[str]:
    """A seconds-long pretraining run: the test corpus only, a 120-token tokenizer, a 1-layer 32-wide BERT (512
    positions: the evaluation after contrastive training encodes up to 256 tokens)."""
    return [f"corpus.files=[{corpus}]", "corpus.sources=[]", "corpus.exclude=[]", "corpus.heldout_fraction=0.2",
            "tokenizer.vocab_size=120", "tokenizer.min_frequency=1", "model.architecture.num_hidden_layers=1",
            "model.architecture.hidden_size=32", "model.architecture.num_attention_heads=2",
            "model.architecture.intermediate_size=64", "model.architecture.max_position_embeddings=512",
            "batching.max_length=16", "batching.batch_size=4", "batching.eval_batch_size=8", "logger=none",
            "optim.warmup_steps=1", f"cache_dir={tmp_path / 'cache'}"]
