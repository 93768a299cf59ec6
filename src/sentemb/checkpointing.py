"""Checkpoints that survive crashes and signals.

- `AtomicCheckpointIO`: writes to a temporary file in the same folder, then renames it over the old one,
  so a crash while writing never corrupts the previous checkpoint; loads with `weights_only=True`.
- `GracefulInterrupt`: Ctrl-C (first press) and SIGTERM stop training after the current batch, save
  `checkpoints/last.ckpt` and leave no results.json; a second Ctrl-C aborts at once. Under DDP a signal to
  any one process stops them all at the same step: each process only notes the signal, and after every
  batch the processes agree (`sentemb.distributed.any_rank`), then all stop and save one checkpoint
  (written by rank 0) together. Lightning's own SIGTERM handler is replaced during training: it forwards
  the signal from rank 0 only and, on another rank, runs a collective inside the handler that no other
  process matches.
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

from sentemb.distributed import any_rank

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
    """Turns SIGINT and SIGTERM into Lightning's stop-after-this-batch flag, agreed by every process, and
    saves a checkpoint when stopped."""

    SIGNALS = (signal.SIGINT, signal.SIGTERM)

    def __init__(self, checkpoint_path: str):
        self.checkpoint_path = checkpoint_path
        self._previous_handlers: dict = {}
        self.signalled = False

    def on_train_start(self, trainer, pl_module) -> None:
        self.signalled = False

        def on_signal(signum, frame):
            if signum == signal.SIGINT and self.signalled:
                raise KeyboardInterrupt
            log.warning("%s: stopping after this batch and saving a checkpoint%s", signal.Signals(signum).name,
                        " (press again to abort)" if signum == signal.SIGINT else "")
            self.signalled = True

        try:
            self._previous_handlers = {s: signal.signal(s, on_signal) for s in self.SIGNALS}
        except ValueError:  # not the main thread
            self._previous_handlers = {}

    def on_train_batch_end(self, trainer, pl_module, outputs, batch, batch_idx) -> None:
        if any_rank(self.signalled):  # a collective under DDP: every process stops at this step
            # Lightning raises SIGTERMException at the end of this batch when its flag is set (no public setter)
            trainer._signal_connector.received_sigterm = True

    def on_train_end(self, trainer, pl_module) -> None:
        self._restore()

    def on_exception(self, trainer, pl_module, exception: BaseException) -> None:
        self._restore()
        if isinstance(exception, SIGTERMException):
            trainer.save_checkpoint(self.checkpoint_path)  # every process takes part; rank 0 writes
            log.warning("stopped by a signal at step %d; checkpoint saved to %s", trainer.global_step,
                        self.checkpoint_path)

    def _restore(self) -> None:
        for signum, handler in self._previous_handlers.items():
            signal.signal(signum, handler)
        self._previous_handlers = {}
