"""Numerical faults in a training step: a NaN or inf loss stops the run with what a user needs to debug it."""

from __future__ import annotations

from pathlib import Path

from sentemb.data.batches import Batch


class NonFiniteLossError(FloatingPointError):
    """The loss was NaN or inf; the message names the step, the batch's sentences and the last checkpoint."""


def batch_sentences(batch: Batch, tokenizer, limit: int = 8) -> list[str]:
    """The first `limit` sentences of a batch (view 0), decoded from their token ids."""
    ids = batch.input_ids[:limit, 0]
    mask = batch.attention_mask[:limit, 0].bool()
    return [tokenizer.decode(row[m].tolist(), skip_special_tokens=True) for row, m in zip(ids, mask)]


def non_finite_loss_error(step: int, loss: float, batch: Batch, tokenizer, checkpoint_dir: str | None):
    last = Path(checkpoint_dir) / "last.ckpt" if checkpoint_dir else None
    where = f"last good checkpoint: {last} (resume=...)" if last is not None and last.exists() else \
        "no checkpoint was saved yet"
    shown = "\n".join(f"  [{i}] {s!r}" for i, s in enumerate(batch_sentences(batch, tokenizer)))
    return NonFiniteLossError(
        f"loss is {loss} at step {step}; {where}.\nFirst sentences of the batch:\n{shown}\n"
        "Set model.skip_nonfinite_loss=true to skip such batches (they are counted) instead of stopping."
    )
