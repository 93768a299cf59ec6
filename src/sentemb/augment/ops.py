"""Discrete augmentations of one tokenised sentence (its content ids, special tokens excluded).

Each op is called as `op(content, splitter, rng) -> new content`, where `content` is a list of n token ids,
`splitter` a `WordSplitter` (groups pieces into words) and `rng` a `random.Random` seeded for that sentence,
view and epoch (so the result is deterministic). A sentence too short for an op is returned unchanged.

The settings follow the papers' comparisons:
  * SimCSE (Gao et al., EMNLP 2021), Table 1: crop k% ("keep 100-k% of the length"), word deletion k%,
    delete one word, synonym replacement (see `sentemb.augment.synonyms`);
  * ESimCSE (Wu et al., COLING 2022): word repetition, dup_len ~ U{0, ..., max(2, int(dup_rate * n))},
    dup_rate 0.32, that many distinct positions duplicated in place;
  * token shuffle (ConSERT, Yan et al., ACL 2021): a random permutation of the tokens.
"""

from __future__ import annotations

import random

from sentemb.augment.words import WordSplitter
from sentemb.errors import SettingError


def _check_ratio(value: float, name: str, high_inclusive: bool = False) -> float:
    value = float(value)
    ok = 0.0 <= value <= 1.0 if high_inclusive else 0.0 <= value < 1.0
    if not ok:
        raise SettingError(f"{name} must be in [0, {'1]' if high_inclusive else '1)'}, got {value}")
    return value


def _units(content: list[int], splitter: WordSplitter, unit: str, what: str) -> list[list[int]]:
    if unit == "token":
        return [[t] for t in content]
    return splitter.words(content, what)


def _check_unit(unit: str, name: str) -> str:
    if unit not in ("token", "word"):
        raise SettingError(f"{name} must be 'token' or 'word', got {unit!r}")
    return unit


class Crop:
    """Keep one random contiguous span of round((1 - ratio) * n) tokens (at least 1). SimCSE: ratio 0.1."""

    def __init__(self, ratio: float = 0.1):
        self.ratio = _check_ratio(ratio, "augment.op.ratio")

    def keep_length(self, n: int) -> int:
        return max(1, min(n, int((1.0 - self.ratio) * n + 0.5)))

    def __call__(self, content: list[int], splitter: WordSplitter, rng: random.Random) -> list[int]:
        if not content:
            return []
        k = self.keep_length(len(content))
        start = rng.randint(0, len(content) - k)
        return content[start:start + k]


class WordDeletion:
    """Delete each word independently with probability `ratio` (SimCSE: 0.1); at least one word stays."""

    def __init__(self, ratio: float = 0.1):
        self.ratio = _check_ratio(ratio, "augment.op.ratio")

    def __call__(self, content: list[int], splitter: WordSplitter, rng: random.Random) -> list[int]:
        words = splitter.words(content, "augment=word_deletion")
        if len(words) < 2:
            return list(content)
        kept = [w for w in words if rng.random() >= self.ratio]
        if not kept:
            kept = [words[rng.randrange(len(words))]]
        return [t for w in kept for t in w]


class DeleteOneWord:
    """Delete one word chosen uniformly (SimCSE Table 1, "delete one word"); one-word sentences unchanged."""

    def __call__(self, content: list[int], splitter: WordSplitter, rng: random.Random) -> list[int]:
        words = splitter.words(content, "augment=delete_one_word")
        if len(words) < 2:
            return list(content)
        drop = rng.randrange(len(words))
        return [t for i, w in enumerate(words) if i != drop for t in w]


class Shuffle:
    """A uniformly random permutation of the tokens (`unit="token"`, ConSERT) or of whole words."""

    def __init__(self, unit: str = "token"):
        self.unit = _check_unit(unit, "augment.op.unit")

    def __call__(self, content: list[int], splitter: WordSplitter, rng: random.Random) -> list[int]:
        units = _units(content, splitter, self.unit, "augment=shuffle with unit=word")
        rng.shuffle(units)
        return [t for u in units for t in u]


class Repetition:
    """ESimCSE word repetition: dup_len ~ U{0..max(2, int(dup_rate * n))} distinct units (n = number of
    units), chosen uniformly, each followed by a copy of itself. Changes the length, not the meaning.

    unit: "word" (default: whole words, pieces kept together) or "token" (subwords, as ESimCSE's code does).
    """

    def __init__(self, dup_rate: float = 0.32, unit: str = "word"):
        self.dup_rate = _check_ratio(dup_rate, "augment.op.dup_rate", high_inclusive=True)
        self.unit = _check_unit(unit, "augment.op.unit")

    def max_duplicates(self, n: int) -> int:
        return max(2, int(self.dup_rate * n))

    def __call__(self, content: list[int], splitter: WordSplitter, rng: random.Random) -> list[int]:
        units = _units(content, splitter, self.unit, "augment=repetition")
        if not units:
            return []
        dup_len = min(rng.randint(0, self.max_duplicates(len(units))), len(units))
        chosen = set(rng.sample(range(len(units)), dup_len))
        out: list[int] = []
        for i, u in enumerate(units):
            out.extend(u)
            if i in chosen:
                out.extend(u)
        return out
