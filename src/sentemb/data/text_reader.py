"""Reading one-sentence-a-line text files."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sentemb.data.errors import DataFormatError, format_error, require_file

log = logging.getLogger(__name__)


@dataclass
class TextLines:
    """Sentences kept from a file, with what was dropped."""

    sentences: list[str]
    dropped_empty: int
    path: Path


def read_text_lines(path: str | Path, max_lines: int | None = None) -> TextLines:
    """Read UTF-8 lines, stripped; empty and whitespace-only lines are dropped and counted.

    Raises DataFormatError (a ValueError) naming the line for bytes that are not UTF-8, and naming the
    file when it has no sentence at all. Lines longer than data.max_length tokens are kept here and
    truncated by the tokenizer (sentemb.data.tokenized).
    """
    path = require_file(path)
    sentences: list[str] = []
    dropped = 0
    with open(path, "rb") as fh:
        for lineno, raw in enumerate(fh, start=1):
            if max_lines is not None and lineno > max_lines:
                break
            try:
                line = raw.decode("utf-8").strip()
            except UnicodeDecodeError:
                raise format_error(path, lineno, "expected UTF-8 text", raw.decode("utf-8", "replace")) from None
            if line.startswith("\ufeff"):
                line = line[1:].strip()
            if line:
                sentences.append(line)
            else:
                dropped += 1
    if not sentences:
        raise DataFormatError(f"{path}: no non-empty line to train on ({dropped} empty lines)")
    if dropped:
        log.info("%s: dropped %d empty or whitespace-only lines, kept %d", path, dropped, len(sentences))
    return TextLines(sentences=sentences, dropped_empty=dropped, path=path)
