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

from sentemb.distributed import any_rank
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
