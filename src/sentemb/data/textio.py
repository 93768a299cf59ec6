"""Strict UTF-8 reading for every reader: bad bytes are a DataFormatError naming the file and line."""

from __future__ import annotations

from pathlib import Path

from sentemb.data.errors import format_error, require_file


def read_text(path: str | Path) -> str:
    """The whole file decoded as UTF-8 (a leading BOM dropped)."""
    path = require_file(path)
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as err:
        lineno = raw[: err.start].count(b"\n") + 1
        line = raw.split(b"\n")[lineno - 1].decode("utf-8", "replace")
        raise format_error(path, lineno, "expected UTF-8 text", line) from None
    return text.removeprefix("\ufeff")


def read_lines(path: str | Path) -> list[str]:
    """UTF-8 lines of `path` without line ends (split on newlines only); a leading BOM is dropped."""
    text = read_text(path)
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]
