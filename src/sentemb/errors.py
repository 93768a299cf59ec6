"""Errors caused by the user's input or settings, and how the entry points report them.

A `SentembError` is a mistake the user can fix: its message says what is wrong, where (file:line or the
setting, e.g. `loss.temperature`) and what to do. The entry points (sentemb.run, evaluate, pretrain, report)
print it as one short message on stderr and exit with `USER_ERROR_EXIT` (2), without a traceback; any other
exception is a bug and keeps its traceback. `HYDRA_FULL_ERROR=1` (or `SENTEMB_DEBUG=1`) shows the traceback
of a user error too.

The types also derive from the built-in they refine (`SettingError` is a `ValueError`, `MissingFileError` a
`FileNotFoundError`), so `except ValueError` around a sentemb call keeps working.
"""

from __future__ import annotations

import logging
import os
import re
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager

__all__ = ["CheckpointError", "MissingFileError", "MissingPackageError", "SentembError", "SettingError", "USER_ERROR_EXIT",
           "find_user_error", "in_multirun", "report_user_errors"]

USER_ERROR_EXIT = 2  # as argparse exits on a usage error; a crash (a bug) exits 1
DEBUG_VARIABLES = ("HYDRA_FULL_ERROR", "SENTEMB_DEBUG")


class SentembError(Exception):
    """An error in the user's input or settings; the message names the file:line or the setting at fault
    and says what to do."""


class SettingError(SentembError, ValueError):
    """A setting has a value that is not allowed (the message names the setting and the allowed values)."""


class MissingFileError(SentembError, FileNotFoundError):
    """A file or folder that a setting points at (data, weights, a run folder) does not exist."""


class CheckpointError(SentembError, ValueError):
    """A checkpoint given to `resume=` cannot be used (truncated, corrupt, or not a sentemb checkpoint)."""


class MissingPackageError(SentembError, ImportError):
    """An optional package that a setting needs is not installed (the message says how to install it)."""


def in_multirun() -> bool:
    """True inside a job of a Hydra multirun (`-m`)."""
    from hydra.core.hydra_config import HydraConfig
    from hydra.types import RunMode

    return HydraConfig.initialized() and HydraConfig.get().mode == RunMode.MULTIRUN


def debug_requested() -> bool:
    return any(os.environ.get(name, "").strip() not in ("", "0", "false", "False") for name in DEBUG_VARIABLES)


def find_user_error(err: BaseException | None) -> SentembError | None:
    """The SentembError behind `err`: itself or a cause of it (`raise ... from`: Hydra wraps an error raised while
    instantiating a config in an InstantiationException, OmegaConf one raised by a resolver). Not an error
    merely raised while handling one (`__context__`, a bug in the handler), except under OmegaConf's errors, which
    drop the cause of a failing resolver and keep it only as the context."""
    from omegaconf.errors import OmegaConfBaseException

    seen: set[int] = set()
    while err is not None and id(err) not in seen:
        if isinstance(err, SentembError):
            return err
        seen.add(id(err))
        err = err.__cause__ or (err.__context__ if isinstance(err, OmegaConfBaseException) else None)
    return None


def _setting_of(err: BaseException | None) -> str | None:
    """The config node Hydra names when instantiating it failed (its message ends `full_key: loss`), if any."""
    while err is not None and not isinstance(err, SentembError):
        found = re.search(r"^full_key: (\S+)$", str(err), flags=re.MULTILINE)
        if found:
            return found.group(1)
        err = err.__cause__
    return None


def format_user_error(entry: str, err: BaseException, user: SentembError) -> str:
    message = str(user).strip()
    key = _setting_of(err)
    if key and key not in message:
        message += f" (in the config node '{key}')"
    return (f"{entry}: error: {message}\n"
            f"(a problem with the input or settings; set HYDRA_FULL_ERROR=1 for the traceback)")


def _log_to_files(text: str) -> None:
    """Write `text` to the log files of the root logger (Hydra's run.log), not to the console."""
    record = logging.LogRecord("sentemb", logging.ERROR, __file__, 0, text, None, None)
    for handler in logging.getLogger().handlers:
        if isinstance(handler, logging.FileHandler):
            handler.handle(record)


@contextmanager
def report_user_errors(entry: str, in_sweep: Callable[[], bool] = lambda: False,
                       debug: bool = False) -> Iterator[None]:
    """Around an entry point's body: a SentembError (or an error caused by one) is printed as one message
    on stderr and ends the process with exit status 2; other errors pass through with their traceback.

    `in_sweep()` true (a Hydra multirun job): the message is printed and the error re-raised, so that the
    sweep records the job as failed and goes on with the next one, as Hydra does for any failing job.
    `debug` (e.g. a --debug flag), like HYDRA_FULL_ERROR=1, lets every error through with its traceback.
    """
    try:
        yield
    except Exception as err:
        user = find_user_error(err)
        if user is None or debug or debug_requested():
            raise
        text = format_user_error(entry, err, user)
        print(text, file=sys.stderr, flush=True)
        _log_to_files(text)
        if in_sweep():
            raise
        sys.exit(USER_ERROR_EXIT)
