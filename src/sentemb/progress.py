"""Progress bars that read well on a terminal and in a log file.

On a terminal (stderr is a TTY) `progress(...)` is a tqdm bar. Otherwise (output redirected to a file, a batch
job) it logs one line every `SENTEMB_PROGRESS_PERCENT` percent (10 by default), e.g.
`encode: 40% (10/23 batches, 6.1 s)`, instead of tqdm's hundreds of carriage-return updates;
`quiet_library_bars()` (called by the entry points) turns off the bars of datasets, transformers and
huggingface_hub there, whose work the run logs in its own lines.
"""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm.auto import tqdm

log = logging.getLogger("sentemb.progress")

__all__ = ["interactive", "progress", "quiet_library_bars"]

T = TypeVar("T")


def interactive() -> bool:
    """True when stderr is a terminal (bars can redraw in place)."""
    stream = sys.stderr
    return bool(getattr(stream, "isatty", None) and stream.isatty())


def _step_percent() -> float:
    try:
        return min(100.0, max(1.0, float(os.environ.get("SENTEMB_PROGRESS_PERCENT", 10))))
    except ValueError:
        return 10.0


def _logged(iterable: Iterable[T], total: int | None, desc: str, unit: str) -> Iterator[T]:
    """Yield from `iterable`, logging a line each time another `_step_percent()` of `total` is done."""
    step, start, next_mark, done = _step_percent(), time.perf_counter(), _step_percent(), 0
    for item in iterable:
        yield item
        done += 1
        if total and 100.0 * done / total >= next_mark - 1e-9:
            percent = 100.0 * done / total
            log.info("%s: %.0f%% (%d/%d %s, %.1f s)", desc, percent, done, total, unit, time.perf_counter() - start)
            next_mark = (int(percent // step) + 1) * step


def progress(iterable: Iterable[T], total: int | None = None, desc: str = "", unit: str = "it",
             disable: bool = False) -> Iterable[T]:
    """A tqdm bar on a terminal; elsewhere a log line every few percent (nothing when `disable`)."""
    if disable:
        return iterable
    if interactive():
        return tqdm(iterable, total=total, desc=desc, unit=unit)
    return _logged(iterable, total, desc, unit)


def quiet_library_bars() -> None:
    """Without a terminal, turn off the progress bars of datasets, transformers and huggingface_hub."""
    if interactive():
        return
    import datasets
    import huggingface_hub.utils
    import transformers.utils.logging

    datasets.disable_progress_bars()
    transformers.utils.logging.disable_progress_bar()
    huggingface_hub.utils.disable_progress_bars()
