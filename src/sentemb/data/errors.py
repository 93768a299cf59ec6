"""Errors raised by the data readers, with messages that name the file and line at fault."""

from __future__ import annotations

from pathlib import Path

from sentemb.errors import MissingFileError, SentembError

__all__ = ["DataFormatError", "format_error", "require_file"]


class DataFormatError(SentembError, ValueError):
    """A data file does not have the expected format; the message reads `path:lineno: expected, got 'line'`."""


def format_error(path: str | Path, lineno: int, expected: str, line: str) -> DataFormatError:
    """Build (not raise) a DataFormatError: `"{path}:{lineno}: {expected}, got {repr(line[:80])}"`.

    `lineno` is 1-based, as editors and `grep -n` count lines.
    """
    return DataFormatError(f"{path}:{lineno}: {expected}, got {line[:80]!r}")


def require_file(path: str | Path) -> Path:
    """Return `path` if it is a file, else raise MissingFileError naming it and how to point at the data."""
    path = Path(path)
    if not path.is_file():
        raise MissingFileError(
            f"data file not found: '{path}'. Set SENTEMB_DATA_DIR to the data root "
            "(the folder holding en/STS, en/SICK, ...) or pass the right directory."
        )
    return path
