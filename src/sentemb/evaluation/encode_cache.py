"""A memoising encode function: every unique sentence is encoded once per evaluation, whatever the task.

`CachedEncode(encoder)` is a drop-in `encode(sentences) -> (N, D)` for the evaluators. `prefetch` first
collects the sentences of every evaluator (their `.sentences` attribute) and encodes the new ones in one
call of `encoder.encode`, with one progress bar: `SentenceEncoder.encode` batches them by token count, so
each batch pads little even when Chinese and English texts are mixed (characters are a poor proxy for tokens
there: on the full suite, 4.6M padded tokens by characters vs 3.2M by tokens). A later call encodes only
what is not cached yet and returns rows in the order asked.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Iterable

import numpy as np

log = logging.getLogger(__name__)

__all__ = ["CachedEncode"]


class CachedEncode:
    """Embeddings cached by sentence string. `encode_calls` (passes) and `encoded` (sentences) count the work.

    Args:
        encoder: any object with `encode(sentences, batch_size=..., show_progress_bar=...) -> (N, D)`.
        batch_size: passed to `encoder.encode`.
        progress_min: show a progress bar when encoding at least this many new sentences.
    """

    def __init__(self, encoder, batch_size: int = 128, progress_min: int = 5000) -> None:
        self.encoder, self.batch_size, self.progress_min = encoder, batch_size, progress_min
        self.rows: dict[str, int] = {}
        self.blocks: list[np.ndarray] = []
        self._matrix: np.ndarray | None = None
        self.encode_calls = 0
        self.encoded = 0
        self.timings: dict[str, float] = {"encode": 0.0}  # seconds: encoding, then each evaluator's scoring

    def __len__(self) -> int:
        return len(self.rows)

    def _embed_new(self, sentences: Iterable[str]) -> None:
        new = [s for s in dict.fromkeys(sentences) if s not in self.rows]
        if not new:
            return
        start = time.perf_counter()
        emb = self.encoder.encode(new, batch_size=self.batch_size, show_progress_bar=len(new) >= self.progress_min)
        if hasattr(emb, "detach"):  # a torch tensor
            emb = emb.detach().float().cpu().numpy()
        emb = np.asarray(emb, dtype=np.float32)
        if emb.ndim != 2 or emb.shape[0] != len(new):
            raise ValueError(f"encoder.encode returned shape {emb.shape} for {len(new)} sentences")
        offset = len(self.rows)
        self.rows.update((s, offset + i) for i, s in enumerate(new))
        self.blocks.append(emb)
        self._matrix = None
        self.encode_calls += 1
        self.encoded += len(new)
        seconds = time.perf_counter() - start
        self.timings["encode"] = round(self.timings["encode"] + seconds, 1)
        if len(new) >= self.progress_min:
            log.info("encoded %d sentences in %.1f s", len(new), seconds)

    def prefetch(self, sentences: Iterable[str]) -> None:
        """Encode those of `sentences` not cached yet, in one call of the encoder."""
        self._embed_new(sentences)

    def __call__(self, sentences: list[str]) -> np.ndarray:
        """(len(sentences), D) float32 embeddings, in the order given (duplicates allowed)."""
        sentences = list(sentences)
        self._embed_new(sentences)
        if self._matrix is None:
            self._matrix = np.concatenate(self.blocks) if self.blocks else np.zeros((0, 0), np.float32)
            self.blocks = [self._matrix]
        if not sentences:
            return np.zeros((0, self._matrix.shape[1] if self._matrix.ndim == 2 else 0), np.float32)
        return self._matrix[[self.rows[s] for s in sentences]]
