"""Readers for the Chinese training sets in ../shared/data/zh (SOURCES.md says where each comes from).

    STS-B train   zh/STS-B/STS-B.train.data     s1 TAB s2 TAB score 0-5 (5,231 pairs; `read_zh_pairs`)
    ATEC train    zh/ATEC_orig/atec_nlp_sim_train.csv   id TAB s1 TAB s2 TAB label 0/1 (39,346 pairs)
    OCNLI         zh/OCNLI/{train.10k,train.3k,dev}.json   JSON lines {sentence1, sentence2, label}
                  (entailment / neutral / contradiction; '-' = no gold label, skipped and counted)
    SimCLUE       zh/SimCLUE/train_rank_1w.json   JSON lines {query, title, neg_title} (10k triplets)
                  zh/SimCLUE/train_pair_1w.json   JSON lines {sentence1, sentence2, label "0"/"1"} (10k pairs)
                  zh/SimCLUE/corpus_1w.txt        one sentence a line (10k; data=simclue_corpus)

Every reader refuses a malformed row naming `file:line` and what was expected (sentemb.data.errors); a
stray byte-order mark inside a field (the ATEC file has some) is dropped.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from pathlib import Path

from sentemb.data.errors import DataFormatError, format_error
from sentemb.data.nli import NLI_LABELS, NLIPairs
from sentemb.data.scores import BINARY, ScoreCheck
from sentemb.data.text_reader import read_text_lines
from sentemb.data.textio import read_lines
from sentemb.data.zh_readers import read_zh_pairs

log = logging.getLogger(__name__)

__all__ = ["ZH_SENTENCE_SOURCES", "read_atec_train", "read_jsonl", "read_ocnli", "read_simclue_pairs",
           "read_simclue_triplets", "read_zh_sentences"]

Pairs = tuple[list[tuple[str, str]], list[int]]


def _clean(text: str) -> str:
    return " ".join(text.replace("\ufeff", "").split())


def read_jsonl(path: str | Path, keys: tuple[str, ...], what: str) -> Iterator[tuple[int, dict]]:
    """(lineno, row) for every non-blank JSON-object line of `path` that has `keys`; else file:line errors."""
    path = Path(path)
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as err:
            raise format_error(path, lineno, f"expected a JSON object per line ({what}; {err.msg})", line) from None
        if not isinstance(row, dict) or any(k not in row for k in keys):
            raise format_error(path, lineno, f"expected a JSON object with keys {list(keys)} ({what})", line)
        yield lineno, row


def _texts(path: Path, lineno: int, row: dict, keys: tuple[str, ...], line: str) -> tuple[str, ...]:
    texts = tuple(_clean(str(row[k])) if isinstance(row[k], str) else "" for k in keys)
    if not all(texts):
        raise format_error(path, lineno, f"expected non-empty texts in {list(keys)}", line)
    return texts


def _nonempty(rows: list, path: Path, what: str) -> list:
    if not rows:
        raise DataFormatError(f"{path}: no {what} in the file")
    return rows


def atec_eval_pairs(train_path: str | Path) -> set[tuple[str, str]]:
    """The (s1, s2) pairs of the ATEC evaluation files beside the original train set
    (<data>/zh/ATEC/ATEC.{valid,test}.data for <data>/zh/ATEC_orig/...), both orders; empty if absent."""
    pairs: set[tuple[str, str]] = set()
    for split in ("valid", "test"):
        path = Path(train_path).parent.parent / "ATEC" / f"ATEC.{split}.data"
        if path.is_file():
            sp = read_zh_pairs(path)
            pairs |= {(_clean(a), _clean(b)) for a, b in zip(sp.sentences1, sp.sentences2)}
    return pairs | {(b, a) for a, b in pairs}


def read_atec_train(path: str | Path, exclude_eval: bool = True) -> Pairs:
    """ATEC's original train csv: `id TAB s1 TAB s2 TAB label` a line, label 0/1 -> (pairs, labels).

    The ATEC valid/test files of the CoSENT tables were cut from the same original data: 7,604 of the
    20,000 test pairs are in this train file. `exclude_eval` (default) drops the pairs found in those
    evaluation files (`atec_eval_pairs`), logging how many.
    """
    path = Path(path)
    check = ScoreCheck(path, BINARY, "error", what="label")
    exclude = atec_eval_pairs(path) if exclude_eval else set()
    pairs, labels, excluded = [], [], 0
    for lineno, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        fields = line.split("\t")
        if len(fields) != 4:
            raise format_error(path, lineno, "expected 'id<TAB>sentence1<TAB>sentence2<TAB>label'", line)
        s1, s2 = _clean(fields[1]), _clean(fields[2])
        if not s1 or not s2:
            raise format_error(path, lineno, "expected two non-empty sentences", line)
        label = int(check.parse(lineno, _clean(fields[3]), line))
        if (s1, s2) in exclude:
            excluded += 1
            continue
        pairs.append((s1, s2))
        labels.append(label)
    if exclude_eval:
        log.info("%s: %d pairs, %d left out as pairs of the ATEC valid/test files", path, len(pairs), excluded)
    return _nonempty(pairs, path, "labelled pair"), labels


def read_ocnli(paths: str | Path | list[str | Path]) -> NLIPairs:
    """OCNLI JSON lines -> NLIPairs (premise, hypothesis, label); rows labelled '-' are skipped and counted."""
    out, skipped = NLIPairs([], [], []), 0
    for path in [paths] if isinstance(paths, str | Path) else paths:
        path = Path(path)
        for lineno, row in read_jsonl(path, ("sentence1", "sentence2", "label"), "OCNLI"):
            label = str(row["label"]).strip()
            if label == "-":
                skipped += 1
                continue
            if label not in NLI_LABELS:
                raise format_error(path, lineno, f"expected a label in {list(NLI_LABELS)} or '-'",
                                   json.dumps(row, ensure_ascii=False))
            premise, hypothesis = _texts(path, lineno, row, ("sentence1", "sentence2"),
                                         json.dumps(row, ensure_ascii=False))
            out.premises.append(premise)
            out.hypotheses.append(hypothesis)
            out.labels.append(label)
    if skipped:
        log.info("OCNLI: skipped %d pairs without a gold label ('-')", skipped)
    if not out.labels:
        raise DataFormatError(f"{paths}: no labelled OCNLI pair")
    return out


def read_simclue_triplets(path: str | Path) -> list[tuple[str, str, str]]:
    """SimCLUE's train_rank file: {query, title, neg_title} a line -> (anchor, positive, hard negative)."""
    path, keys = Path(path), ("query", "title", "neg_title")
    rows = [_texts(path, lineno, row, keys, json.dumps(row, ensure_ascii=False))
            for lineno, row in read_jsonl(path, keys, "SimCLUE triplets")]
    return _nonempty(rows, path, "triplet")


def read_simclue_pairs(path: str | Path) -> Pairs:
    """SimCLUE's train_pair file: {sentence1, sentence2, label "0"/"1"} a line -> (pairs, labels)."""
    path, keys = Path(path), ("sentence1", "sentence2", "label")
    check = ScoreCheck(path, BINARY, "error", what="label")
    pairs, labels = [], []
    for lineno, row in read_jsonl(path, keys, "SimCLUE pairs"):
        line = json.dumps(row, ensure_ascii=False)
        pairs.append(_texts(path, lineno, row, keys[:2], line))
        labels.append(int(check.parse(lineno, str(row["label"]).strip(), line)))
    return _nonempty(pairs, path, "labelled pair"), labels


def _pair_texts(pairs: Pairs) -> list[str]:
    return [s for pair in pairs[0] for s in pair]


def _stsb_texts(path: Path) -> list[str]:
    sp = read_zh_pairs(path)
    return [*sp.sentences1, *sp.sentences2]


def _ocnli_texts(path: Path) -> list[str]:
    nli = read_ocnli(path)
    return [*nli.premises, *nli.hypotheses]


# name -> (file under <data_dir>/zh, its texts); the unlabelled Chinese sentences of data=zh_sentences
ZH_SENTENCE_SOURCES: dict[str, tuple[str, Callable[[Path], list[str]]]] = {
    "stsb_train": ("STS-B/STS-B.train.data", _stsb_texts),
    "atec_train": ("ATEC_orig/atec_nlp_sim_train.csv", lambda p: _pair_texts(read_atec_train(p))),
    "ocnli_train": ("OCNLI/train.10k.json", _ocnli_texts),
    "simclue_triplets": ("SimCLUE/train_rank_1w.json", lambda p: [s for r in read_simclue_triplets(p) for s in r]),
    "simclue_pairs": ("SimCLUE/train_pair_1w.json", lambda p: _pair_texts(read_simclue_pairs(p))),
    "simclue_corpus": ("SimCLUE/corpus_1w.txt", lambda p: read_text_lines(p).sentences),
}


def read_zh_sentences(data_dir: str | Path, sources: list[str] | tuple[str, ...]) -> tuple[list[str], list[Path]]:
    """The distinct sentences of `sources` (ZH_SENTENCE_SOURCES names), first occurrence order, labels and
    pairings dropped -> (sentences, files read)."""
    unknown = [s for s in sources if s not in ZH_SENTENCE_SOURCES]
    if unknown or not sources:
        raise ValueError(f"data.sources: unknown {unknown} (or none given); expected some of "
                         f"{list(ZH_SENTENCE_SOURCES)}")
    seen: dict[str, None] = {}
    files = []
    for name in sources:
        relative, texts_of = ZH_SENTENCE_SOURCES[name]
        path = Path(data_dir) / "zh" / relative
        files.append(path)
        before = len(seen)
        seen.update(dict.fromkeys(texts_of(path)))
        log.info("%s: %d new distinct sentences from %s", name, len(seen) - before, path)
    return list(seen), files
