"""Checkpoints that survive crashes and signals.

- `AtomicCheckpointIO`: writes to a temporary file in the same folder, then renames it over the old one,
  so a crash while writing never corrupts the previous checkpoint; loads with `weights_only=True`.
- `GracefulInterrupt`: Ctrl-C (first press) and SIGTERM stop training after the current batch, save
  `checkpoints/last.ckpt` and leave no results.json; a second Ctrl-C aborts at once.
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

log = logging.getLogger(__name__)


class TrainingInterrupted(Exception):
    """Training stopped by a signal after saving a checkpoint; the message says how to resume."""


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
