"""A small reader of the WordNet 3.0 database files (Princeton's `wndb` format), for synonym lookups.

Reads `index.{noun,verb,adj,adv}` (lemma -> synset byte offsets) and seeks into `data.{pos}` for a synset's
words, as Debian's `wordnet-base` package installs them in /usr/share/wordnet (`apt-get install
wordnet-base`). Inflected forms are reduced to lemmas with WordNet's own rules ("morphy": the `*.exc`
exception lists, then the detachment suffixes), so "dogs" finds "dog". No NLTK needed.
"""

from __future__ import annotations

import os
from functools import lru_cache
from pathlib import Path

from sentemb.errors import MissingFileError

POS_FILES = {"n": "noun", "v": "verb", "a": "adj", "r": "adv"}
# WordNet's morphy detachment rules (wn morph.c): (suffix, ending) per part of speech
SUFFIXES = {
    "n": [("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
          ("ies", "y")],
    "v": [("s", ""), ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", "")],
    "a": [("er", ""), ("est", ""), ("er", "e"), ("est", "e")],
    "r": [],
}
DEFAULT_DIR = "/usr/share/wordnet"


def default_wordnet_dir() -> str:
    return os.environ.get("SENTEMB_WORDNET_DIR", DEFAULT_DIR)


class WordNet:
    """Synonyms of English words from a WordNet 3.0 database folder.

    Raises FileNotFoundError at construction, naming the folder and how to install it, when the files are
    missing.
    """

    def __init__(self, folder: str | Path | None = None):
        self.folder = Path(folder or default_wordnet_dir()).expanduser()
        missing = [f"{kind}.{name}" for name in POS_FILES.values() for kind in ("index", "data")
                   if not (self.folder / f"{kind}.{name}").is_file()]
        if missing:
            raise MissingFileError(
                f"augment=synonym needs the WordNet 3.0 database in '{self.folder}' (missing: "
                f"{', '.join(missing)}): install Debian's package with `apt-get install wordnet-base`, or set "
                "augment.op.wordnet_dir (or SENTEMB_WORDNET_DIR) to a folder with index.noun, data.noun, ...")
        self.index: dict[str, dict[str, list[int]]] = {p: self._read_index(n) for p, n in POS_FILES.items()}
        self.exceptions: dict[str, dict[str, list[str]]] = {p: self._read_exc(n) for p, n in POS_FILES.items()}
        self._data = {p: open(self.folder / f"data.{n}", "rb") for p, n in POS_FILES.items()}  # noqa: SIM115

    def _read_index(self, name: str) -> dict[str, list[int]]:
        out: dict[str, list[int]] = {}
        with open(self.folder / f"index.{name}", encoding="utf-8") as fh:
            for line in fh:
                if line.startswith(" "):  # licence header
                    continue
                f = line.split()
                synset_cnt, p_cnt = int(f[2]), int(f[3])
                out[f[0]] = [int(x) for x in f[4 + p_cnt + 2: 4 + p_cnt + 2 + synset_cnt]]
        return out

    def _read_exc(self, name: str) -> dict[str, list[str]]:
        path = self.folder / f"{name}.exc"
        out: dict[str, list[str]] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                f = line.split()
                if len(f) >= 2:
                    out[f[0]] = f[1:]
        return out

    def lemmas(self, word: str, pos: str) -> list[str]:
        """Base forms of `word` in the index for part of speech `pos` (WordNet's morphy)."""
        index, found = self.index[pos], []
        for form in [word, *self.exceptions[pos].get(word, [])]:
            if form in index and form not in found:
                found.append(form)
        if found:
            return found
        for suffix, ending in SUFFIXES[pos]:
            if word.endswith(suffix) and len(word) > len(suffix):
                base = word[: len(word) - len(suffix)] + ending
                if base in index and base not in found:
                    found.append(base)
        return found

    def _synset_words(self, pos: str, offset: int) -> list[str]:
        fh = self._data[pos]
        fh.seek(offset)
        f = fh.readline().decode("utf-8").split()
        w_cnt = int(f[3], 16)
        words = f[4: 4 + 2 * w_cnt: 2]
        return [w.split("(")[0].replace("_", " ") for w in words]  # adjective markers like "(a)"

    @lru_cache(maxsize=50_000)  # noqa: B019  (one WordNet per run; the cache lives as long as it does)
    def synonyms(self, word: str) -> tuple[str, ...]:
        """Other lemmas sharing a synset with `word` (lower-cased lookup), in WordNet's order, no repeats."""
        word = word.lower()
        out: list[str] = []
        for pos in POS_FILES:
            for lemma in self.lemmas(word, pos):
                for offset in self.index[pos][lemma]:
                    for syn in self._synset_words(pos, offset):
                        if syn.lower() != word and syn.lower() != lemma and syn not in out:
                            out.append(syn)
        return tuple(out)

    def __getstate__(self) -> dict:  # DataLoader workers: reopen the data files in the child
        state = dict(self.__dict__)
        state["_data"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._data = {p: open(self.folder / f"data.{n}", "rb") for p, n in POS_FILES.items()}  # noqa: SIM115
