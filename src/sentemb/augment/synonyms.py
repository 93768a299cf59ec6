"""Synonym replacement (SimCSE Table 1: "use nltk WordNet to replace 1 word with its synonym").

Candidates are words of letters only, of two or more letters, not in a short list of English function
words, that have at least one WordNet synonym. `n` of them (default 1) are chosen uniformly, each replaced
by one of its synonyms chosen uniformly and re-tokenised. Sentences with no candidate stay unchanged
(counted in `Synonym.unchanged`). Synonyms are English: CJK words are never candidates (there is no Chinese
WordNet here), so an English corpus with a few CJK names still trains, and a CJK-only sentence stays
unchanged (counted, with one warning per process).
"""

from __future__ import annotations

import logging
import random

from sentemb.augment.wordnet import WordNet
from sentemb.augment.words import WordSplitter, has_cjk
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

STOPWORDS = frozenset(
    "a an the and or but if of at by for with about to from in on off up down out over under is am are was "
    "were be been being have has had do does did will would shall should can could may might must i me my "
    "we our you your he him his she her it its they them their this that these those what which who whom "
    "as so than too very not no nor only own same just there here when where why how all any both each few "
    "more most other some such again further then once s t".split())


class Synonym:
    """Replace `n` words by WordNet synonyms.

    Args:
        n: words replaced per sentence (SimCSE: 1).
        wordnet_dir: the WordNet 3.0 database folder (default: $SENTEMB_WORDNET_DIR or /usr/share/wordnet).
            Loaded at construction: a missing database fails at start-up with how to install it.
    """

    def __init__(self, n: int = 1, wordnet_dir: str | None = None):
        if int(n) < 1:
            raise SettingError(f"augment.op.n must be >= 1, got {n}")
        self.n = int(n)
        self.wordnet = WordNet(wordnet_dir)
        self.unchanged = 0
        self._warned_cjk = False

    def candidates(self, words: list[list[int]], splitter: WordSplitter) -> list[tuple[int, tuple[str, ...]]]:
        out = []
        for i, w in enumerate(words):
            text = splitter.text(w)
            if len(text) < 2 or not text.isalpha() or text.lower() in STOPWORDS or has_cjk(text):
                continue
            syns = self.wordnet.synonyms(text)
            if syns:
                out.append((i, syns))
        return out

    def __call__(self, content: list[int], splitter: WordSplitter, rng: random.Random) -> list[int]:
        words = splitter.words(content, "augment=synonym")
        cands = self.candidates(words, splitter)
        if not cands:
            self.unchanged += 1
            if not self._warned_cjk and any(has_cjk(splitter.text(w)) for w in words):
                self._warned_cjk = True
                log.warning("augment=synonym replaces English words only (WordNet): CJK text is left unchanged; "
                            "for Chinese data pick augment=dropout, crop, word_deletion, repetition or shuffle")
            return list(content)
        for i, syns in rng.sample(cands, min(self.n, len(cands))):
            words[i] = splitter.encode_word(rng.choice(syns), first=(i == 0))
        return [t for w in words for t in w]
