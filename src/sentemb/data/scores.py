"""Score-range checks for scored pair files: a gold score that is not a finite number, or lies outside the
documented range of its data set, is refused naming the file, the line and the expected range -- or, with
`on_bad_score="drop"`, the row is dropped and counted (one warning per file).

Documented ranges (the defaults of the readers):
    STS12-16 gold files, STS-B (Cer et al. 2017)      0..5   (STS_RANGE)
    SICK relatedness (Marelli et al. 2014)            1..5   (SICK_RANGE)
    Chinese STS-B (CoSENT tables)                     0..5
    ATEC, BQ, LCQMC, PAWSX (paraphrase labels)        0 or 1 (BINARY)
    a csv of labelled pairs (data=pair_csv)           any finite number unless data.score_range is set
"""

from __future__ import annotations

import logging
import math
from dataclasses import dataclass
from pathlib import Path

from sentemb.data.errors import format_error
from sentemb.errors import SettingError

__all__ = ["BINARY", "ON_BAD_SCORE", "SICK_RANGE", "STS_RANGE", "ScoreCheck", "ScoreRange", "as_score_range",
           "check_on_bad_score"]

log = logging.getLogger(__name__)

ON_BAD_SCORE = ("error", "drop")


@dataclass(frozen=True)
class ScoreRange:
    """Scores in [low, high] (inclusive); `integers=True` also asks for whole numbers (class labels)."""

    low: float
    high: float
    integers: bool = False

    def __post_init__(self) -> None:
        if math.isnan(self.low) or math.isnan(self.high) or not self.low <= self.high:
            raise ValueError(f"a score range needs low <= high, got [{self.low}, {self.high}]")

    def __contains__(self, score: float) -> bool:
        return (math.isfinite(score) and self.low <= score <= self.high
                and (not self.integers or float(score).is_integer()))

    def describe(self) -> str:
        """'[0, 5]', '{0, 1}' (few whole numbers) or '[0, 20] (whole numbers)', for messages."""
        low, high = (f"{x:g}" for x in (self.low, self.high))
        if self.integers and self.high - self.low <= 10:
            return "{" + ", ".join(str(v) for v in range(math.ceil(self.low), math.floor(self.high) + 1)) + "}"
        return f"[{low}, {high}]" + (" (whole numbers)" if self.integers else "")


STS_RANGE = ScoreRange(0.0, 5.0)
SICK_RANGE = ScoreRange(1.0, 5.0)
BINARY = ScoreRange(0.0, 1.0, integers=True)


def as_score_range(value, setting: str = "data.score_range") -> ScoreRange | None:
    """None, a ScoreRange, or a [low, high] pair (a config list) -> ScoreRange | None; bad values name `setting`."""
    if value is None or isinstance(value, ScoreRange):
        return value
    try:
        if isinstance(value, str | bytes):
            raise TypeError(value)
        low, high = value
        return ScoreRange(float(low), float(high))
    except (TypeError, ValueError):
        raise SettingError(f"{setting} must be [low, high] with low <= high (e.g. [0, 5] for STS-B) or null, "
                         f"got {value!r}") from None


def check_on_bad_score(value: str, setting: str = "data.on_bad_score") -> str:
    if value not in ON_BAD_SCORE:
        raise SettingError(f"{setting} must be one of {ON_BAD_SCORE}, got {value!r}")
    return value


class ScoreCheck:
    """Parses the scores of one file against a range; `on_bad_score` "error" raises, "drop" counts.

    `parse(lineno, text, line)` returns the float score, or None when the row is to be dropped.
    Non-finite scores (nan, inf) are never accepted. Call `report()` once the file is read.
    """

    def __init__(self, path: str | Path, score_range: ScoreRange | None, on_bad_score: str = "error",
                 what: str = "score"):
        self.path, self.range, self.what = Path(path), as_score_range(score_range), what
        self.on_bad = check_on_bad_score(on_bad_score)
        self.dropped, self.first_dropped = 0, None

    def expected(self) -> str:
        """E.g. 'expected a numeric score in [0, 5]' (no range: 'expected a finite numeric score')."""
        if self.range is None:
            return f"expected a finite numeric {self.what}"
        return f"expected a numeric {self.what} in {self.range.describe()}"

    def parse(self, lineno: int, text: str, line: str) -> float | None:
        try:
            score = float(text)
        except ValueError:
            score = math.nan
        if math.isfinite(score) and (self.range is None or score in self.range):
            return score
        if self.on_bad == "error":
            raise format_error(self.path, lineno, self.expected(), line)
        self.dropped += 1
        self.first_dropped = self.first_dropped or lineno
        return None

    def report(self) -> int:
        """Log the dropped rows (if any); return their number."""
        if self.dropped:
            log.warning("%s: dropped %d row(s), %s (first at line %d; on_bad_score=drop)",
                        self.path, self.dropped, self.expected(), self.first_dropped)
        return self.dropped
