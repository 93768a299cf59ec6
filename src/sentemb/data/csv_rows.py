"""Rows of a csv with a header, checked once for every csv reader (labelled texts, pairs, triplets).

Refused with a DataFormatError naming the file and line: bytes that are not UTF-8, a header without the
needed columns, an empty file or one with no row after the header, a row with fewer or more fields than
the header (a stray comma or a broken quote). Documented repair: rows whose fields are all blank are
dropped and counted (one log line).
"""

from __future__ import annotations

import csv
import io
import logging
from pathlib import Path

from sentemb.data.errors import DataFormatError, format_error, require_file
from sentemb.data.textio import read_text

__all__ = ["read_csv_rows"]

log = logging.getLogger(__name__)


def read_csv_rows(path: str | Path, columns: tuple[str, ...] | list[str], what: str = "rows"
                  ) -> list[tuple[int, dict[str, str]]]:
    """(line number, {header name: field}) of every non-blank row of the csv at `path`.

    `columns` must all be in the header (further columns are allowed and returned); `what` names the
    rows in the error for a file without any (e.g. "labelled rows"). Line numbers are 1-based, the header
    being line 1 (a row spanning lines through a quoted newline gets the number of its last line).
    """
    path = require_file(path)
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None:
            raise format_error(path, 1, f"expected a header with columns {list(columns)}", "")
        header = [h.strip() for h in header]
        missing = [c for c in columns if c not in header]
        if missing:
            raise format_error(path, 1, f"expected a header with columns {list(columns)} (missing {missing})",
                               ",".join(header))
        rows, blank = [], 0
        for fields in reader:
            if not any(f.strip() for f in fields):
                blank += 1
                continue
            if len(fields) != len(header):
                raise format_error(path, reader.line_num, f"expected {len(header)} comma-separated fields as in "
                                   f"the header {header}, got {len(fields)} (a stray comma or quote?)",
                                   ",".join(fields))
            rows.append((reader.line_num, dict(zip(header, fields))))
    if blank:
        log.info("%s: dropped %d blank rows", path, blank)
    if not rows:
        raise DataFormatError(f"{path}: no {what} after the header (expected rows with columns {list(columns)})")
    return rows
