"""The pretraining corpus: sentences from the data folder's sets and text files, evaluation text removed,
split into training lines and a held-out split for the masked-token accuracy curve.

Sources (under the data root, `$SENTEMB_DATA_DIR`; read with sentemb.data's readers, never copied):
    wiki1m_head   en/wiki1m_head.txt (SimCSE's Wikipedia sentences, first 11,914)
    stsb_train    both sentences of STS-B train
    sick_train    both sentences of SICK train
    snli          premises and hypotheses of SNLI dev + test (this project's NLI *training* data)
    intents       training utterances of Banking77, CLINC150 (in scope) and SNIPS
    stc           the texts of StackOverflow, Biomedical, SearchSnippets (the clustering evaluation's texts,
                  unlabelled: transductive, as domain-adaptive pretraining on an evaluation domain)
    wordnet       WordNet 3.0 glosses and usage examples (needs `make install-wordnet`, root; on a machine
                  without it the source is skipped with one warning saying how to add it)
plus any one-sentence-a-line text files (`files`), for domain-adaptive pretraining on a user's corpus.

Evaluation text is removed (`exclude`): every line whose normalised form (lower-cased, whitespace
collapsed) equals a sentence of an evaluation set: "sts" = STS12-16, STS-B dev and test, SICK trial and test;
"intent" = the intent test splits; "clustering" = the STC texts. Exact matches only: near-duplicates
(other punctuation, a changed word) stay. Lines are deduplicated on the same normalised form; the held-out
split is a seeded random `heldout_fraction` of the remaining lines (at most `heldout_max_lines`).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from sentemb.data.clustering_readers import STC_SETS, read_stc, stc_dir
from sentemb.data.intent_readers import INTENT_SETS, read_intent_set
from sentemb.data.nli import read_snli
from sentemb.data.sts_readers import STS_YEARS, read_sick, read_sts_year, read_stsb, sick_path
from sentemb.data.text_reader import read_text_lines
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

SOURCES = ("wiki1m_head", "stsb_train", "sick_train", "snli", "intents", "stc", "wordnet")
EXCLUDES = ("sts", "intent", "clustering")


def normalise(text: str) -> str:
    """The form compared for deduplication and evaluation overlap: lower-cased, whitespace collapsed."""
    return " ".join(text.lower().split())


def _pairs(p) -> list[str]:
    return [*p.sentences1, *p.sentences2]


def read_source(name: str, data_dir: str | Path, wordnet_dir: str | None = None) -> list[str] | None:
    """The texts of one of SOURCES under `data_dir`; None for a source that is not installed (wordnet)."""
    en = Path(data_dir) / "en"
    readers: dict[str, Callable[[], list[str]]] = {
        "wiki1m_head": lambda: read_text_lines(en / "wiki1m_head.txt").sentences,
        "stsb_train": lambda: _pairs(read_stsb(en / "STS" / "STSBenchmark", "train")),
        "sick_train": lambda: _pairs(read_sick(sick_path(data_dir, "train"))),
        "snli": lambda: _snli(en / "SNLI"),
        "intents": lambda: [t for n in INTENT_SETS for t in read_intent_set(data_dir, n, "train").texts],
        "stc": lambda: [t for n in STC_SETS for t in read_stc(stc_dir(data_dir), n).texts],
        "wordnet": lambda: _wordnet(wordnet_dir),
    }
    if name not in readers:
        raise SettingError(f"corpus.sources: unknown source {name!r}; expected some of {SOURCES}")
    return readers[name]()


def _snli(folder: Path) -> list[str]:
    pairs = read_snli(folder, ("dev", "test"))
    return [*pairs.premises, *pairs.hypotheses]


def _wordnet(folder: str | None) -> list[str] | None:
    from sentemb.pretraining.wordnet_text import missing_wordnet, read_wordnet_texts

    problem = missing_wordnet(folder)
    if problem:  # a system package (no pip wheel carries the database): skipped, not an error
        log.warning("corpus source 'wordnet' skipped: %s. To add it: `make install-wordnet` (apt-get install "
                    "wordnet-base, needs root), or point corpus.wordnet_dir / SENTEMB_WORDNET_DIR at a WordNet 3.0 "
                    "dict folder; drop 'wordnet' from corpus.sources to silence this", problem)
        return None
    return read_wordnet_texts(folder)


def evaluation_texts(kind: str, data_dir: str | Path) -> list[str]:
    """The sentences of one evaluation family (see EXCLUDES)."""
    en = Path(data_dir) / "en"
    if kind == "sts":
        out = [s for year in STS_YEARS for p in read_sts_year(en / "STS" / f"{year}-en-test", year) for s in _pairs(p)]
        out += [s for split in ("dev", "test") for s in _pairs(read_stsb(en / "STS" / "STSBenchmark", split))]
        return out + [s for split in ("trial", "test") for s in _pairs(read_sick(sick_path(data_dir, split)))]
    if kind == "intent":
        return [t for n in INTENT_SETS for t in read_intent_set(data_dir, n, "test").texts]
    if kind == "clustering":
        return read_source("stc", data_dir)
    raise SettingError(f"corpus.exclude: unknown evaluation family {kind!r}; expected some of {EXCLUDES}")


@dataclass
class Corpus:
    """Training and held-out lines, with counts of what each source gave and what was dropped."""

    train: list[str]
    heldout: list[str]
    stats: dict = field(default_factory=dict)


def build_corpus(data_dir: str | Path, sources: Sequence[str] = SOURCES, files: Sequence[str] = (),
                 exclude: Sequence[str] = ("sts", "intent"), heldout_fraction: float = 0.01,
                 heldout_max_lines: int | None = 2000, max_lines: int | None = None, seed: int = 42,
                 wordnet_dir: str | None = None) -> Corpus:
    """Read, deduplicate, drop evaluation text, shuffle (seeded) and split; see the module docstring."""
    if not 0.0 < float(heldout_fraction) < 1.0:
        raise SettingError(f"corpus.heldout_fraction must be in (0, 1), got {heldout_fraction}")
    banned = {normalise(t) for kind in exclude for t in evaluation_texts(kind, data_dir)}
    named = [(name, read_source(name, data_dir, wordnet_dir)) for name in sources]
    named += [(str(f), read_text_lines(f).sentences) for f in files]
    seen: set[str] = set()
    lines: list[str] = []
    stats: dict = {"sources": {}, "excluded_families": list(exclude), "evaluation_sentences": len(banned)}
    for name, texts in named:
        if texts is None:
            stats["sources"][name] = {"skipped": "not installed"}
            continue
        kept = dropped_eval = 0
        for text in texts:
            key = normalise(text)
            if not key or key in seen:
                continue
            seen.add(key)
            if key in banned:
                dropped_eval += 1
                continue
            lines.append(" ".join(text.split()))
            kept += 1
        stats["sources"][name] = {"read": len(texts), "kept": kept, "dropped_as_evaluation_text": dropped_eval}
        log.info("corpus %s: %d read, %d kept, %d dropped as evaluation text", name, len(texts), kept, dropped_eval)
    if len(lines) < 2:
        raise SettingError(f"the pretraining corpus has {len(lines)} line(s) after deduplication and removing "
                         "evaluation text; check corpus.sources / corpus.files")
    order = np.random.default_rng(seed).permutation(len(lines))
    if max_lines:
        order = order[: int(max_lines)]
    n_held = max(1, round(heldout_fraction * len(order)))
    if heldout_max_lines:
        n_held = min(n_held, int(heldout_max_lines))
    n_held = min(n_held, len(order) - 1)
    heldout = [lines[i] for i in order[:n_held]]
    train = [lines[i] for i in order[n_held:]]
    stats.update(unique_lines=len(lines), train_lines=len(train), heldout_lines=len(heldout))
    return Corpus(train=train, heldout=heldout, stats=stats)
