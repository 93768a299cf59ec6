"""Identity of a sentence after normalisation, as one int64 per text (for false-negative detection).

Two texts get the same id when they are equal after Unicode NFKC, case folding, dropping every character
that is not a letter, digit or space, and collapsing whitespace ("Hello,  World!" == "hello world"). The id
is the first 8 bytes of the BLAKE2b digest of the normalised text (a signed int64: a collision between two
different texts has probability ~ n^2 / 2^64).
"""

from __future__ import annotations

import hashlib
import re
import unicodedata

_NOT_WORD = re.compile(r"[^\w\s]|_", flags=re.UNICODE)


def normalise_text(text: str) -> str:
    """NFKC, casefold, punctuation removed, whitespace collapsed."""
    text = unicodedata.normalize("NFKC", text).casefold()
    return " ".join(_NOT_WORD.sub(" ", text).split())


def text_id(text: str) -> int:
    """int64 id of `normalise_text(text)`."""
    digest = hashlib.blake2b(normalise_text(text).encode("utf8"), digest_size=8).digest()
    return int.from_bytes(digest, "little", signed=True)


def text_ids(texts: list[str]) -> list[int]:
    return [text_id(t) for t in texts]
