"""Checkpoints that survive crashes and signals.

- `AtomicCheckpointIO`: writes to a temporary file in the same folder, then renames it over the old one,
  so a crash while writing never corrupts the previous checkpoint; loads with `weights_only=True`.
- `GracefulInterrupt`: Ctrl-C (first press) and SIGTERM stop training after the current batch, save
  `checkpoints/last.ckpt` and leave no results.json; a second Ctrl-C aborts at once.
- `check_checkpoint`: the file given to `resume=` is refused before training when it is truncated, corrupt
  or not a checkpoint of this run's model, naming the file, what was found and the last good checkpoint.
"""

from __future__ import annotations

import logging
import os
import signal
from pathlib import Path

import lightning as L
from lightning.fabric.utilities.cloud_io import _load as pl_load
from lightning.pytorch.plugins.io import TorchCheckpointIO
from lightning.pytorch.utilities.exceptions import SIGTERMException

from sentemb.errors import CheckpointError

log = logging.getLogger(__name__)


class TrainingInterrupted(Exception):
    """Training stopped by a signal after saving a checkpoint; the message says how to resume."""


def _problem(path: Path, expected_keys: set[str] | None = None) -> str | None:
    """What is wrong with the checkpoint at `path` as one phrase, or None if it can be resumed from."""
    import torch

    try:  # mmap: only the small pickled index is read; the tensors stay on disk
        checkpoint = torch.load(path, map_location="cpu", weights_only=True, mmap=True)
    except Exception as err:  # zip errors, EOF, unpickling: the types differ by how the file is damaged
        reason = str(err).strip().splitlines()[0][:160] if str(err).strip() else type(err).__name__
        return f"cannot be read ({path.stat().st_size:,} bytes; truncated or corrupt: {reason})"
    if not isinstance(checkpoint, dict) or "state_dict" not in checkpoint or "global_step" not in checkpoint:
        found = sorted(checkpoint)[:8] if isinstance(checkpoint, dict) else type(checkpoint).__name__
        return f"is not a Lightning training checkpoint (found {found}; expected state_dict, global_step, ...)"
    if expected_keys is not None:
        keys = set(checkpoint["state_dict"])
        missing, unexpected = sorted(expected_keys - keys), sorted(keys - expected_keys)
        if missing or unexpected:
            return (f"holds the weights of another model ({len(missing)} of this run's weights missing, e.g. "
                    f"{missing[:2]}; {len(unexpected)} unknown, e.g. {unexpected[:2]}): a run with other "
                    "model=/backbone= settings?")
    return None


def last_good_checkpoint(path: Path, expected_keys: set[str] | None = None) -> Path | None:
    """The newest other *.ckpt beside `path` (or in its run's checkpoints/ folder) that can be resumed from."""
    folders = {path.parent, path.parent / "checkpoints"}
    candidates = {c for f in folders if f.is_dir() for c in f.glob("*.ckpt") if c.resolve() != path.resolve()}
    for candidate in sorted(candidates, key=lambda c: c.stat().st_mtime, reverse=True):
        if _problem(candidate, expected_keys) is None:
            return candidate
    return None


def check_checkpoint(path: str | Path, setting: str = "resume", expected_keys: set[str] | None = None) -> None:
    """Raise CheckpointError if the checkpoint at `path` is truncated, corrupt, not a Lightning checkpoint, or
    (with `expected_keys`, the model's state_dict keys) the checkpoint of another model."""
    path = Path(path)
    problem = _problem(path, expected_keys)
    if problem is None:
        return
    good = last_good_checkpoint(path, expected_keys)
    hint = (f"the last good checkpoint is '{good}': {setting}={good}" if good is not None
            else f"no other usable checkpoint beside it; remove {setting}= to start from the beginning")
    raise CheckpointError(f"{setting}: the checkpoint '{path}' {problem}; {hint}")


class AtomicCheckpointIO(TorchCheckpointIO):
    def save_checkpoint(self, checkpoint, path, storage_options=None) -> None:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        try:
            super().save_checkpoint(checkpoint, tmp, storage_options)
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def load_checkpoint(self, path, map_location=None, weights_only=None) -> dict:
        # Never unpickle arbitrary objects from a checkpoint file.
        return pl_load(path, map_location=map_location or (lambda storage, loc: storage), weights_only=True)


class GracefulInterrupt(L.Callback):
    """Turns SIGINT into Lightning's stop-after-this-batch flag and saves a checkpoint when stopped."""

    def __init__(self, checkpoint_path: str):
        self.checkpoint_path = checkpoint_path
        self._previous_handler = None

    def on_train_start(self, trainer, pl_module) -> None:
        def on_sigint(signum, frame):
            if trainer.received_sigterm:
                raise KeyboardInterrupt
            log.warning("Ctrl-C: stopping after this batch and saving a checkpoint (press again to abort)")
            trainer.received_sigterm = True

        try:
            self._previous_handler = signal.signal(signal.SIGINT, on_sigint)
        except ValueError:  # not the main thread
            self._previous_handler = None

    def on_train_end(self, trainer, pl_module) -> None:
        self._restore()

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self._restore()
        if isinstance(exception, SIGTERMException):
            trainer.save_checkpoint(self.checkpoint_path)
            log.warning("stopped by a signal at step %d; checkpoint saved to %s", trainer.global_step,
                        self.checkpoint_path)

    def _restore(self) -> None:
        if self._previous_handler is not None:
            signal.signal(signal.SIGINT, self._previous_handler)
            self._previous_handler = None
