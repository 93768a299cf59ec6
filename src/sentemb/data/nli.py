"""NLI data: (premise, hypothesis, label) pairs and (anchor, entailment, contradiction) triplets.

Sources:
    SNLI in SentEval's layout (`s1.<split>`, `s2.<split>`, `labels.<split>`, one item a line; Bowman et al.
        2015), as in ../shared/data/en/SNLI (dev and test here);
    a csv with header `sent0,sent1,hard_neg` (SimCSE's nli_for_simcse.csv, Gao et al. 2021; 275k triplets
        from SNLI + MNLI, fetched from the Hub by data=nli);
    OCNLI JSON lines (Hu et al. 2020; Chinese): triplets built as from SNLI;
    SimCLUE's train_rank JSON lines (query, title, neg_title): triplets as they are.

Triplets from SNLI (supervised SimCSE's construction): premises are grouped (whitespace-normalised text);
a premise with at least one entailment and one contradiction hypothesis gives one triplet per entailment,
(premise, entailment k, contradiction k mod #contradictions), in file order.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from sentemb.data.csv_rows import read_csv_rows
from sentemb.data.errors import DataFormatError, format_error, require_file
from sentemb.data.textio import read_text
from sentemb.data.views_datamodule import ViewsData, ViewsDataModule
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

NLI_LABELS = ("entailment", "neutral", "contradiction")
# Sentence-BERT's training script maps the NLI labels this way (training_nli.py: label2int)
SBERT_LABEL_IDS = {"contradiction": 0, "entailment": 1, "neutral": 2}
TRIPLET_COLUMNS = ("sent0", "sent1", "hard_neg")
TRIPLET_FORMATS = ("snli", "csv", "ocnli", "simclue")


@dataclass
class NLIPairs:
    premises: list[str]
    hypotheses: list[str]
    labels: list[str]  # "entailment" | "neutral" | "contradiction"


def _norm(text: str) -> str:
    return " ".join(text.split())


def _file_stamp(path: Path) -> dict:
    stat = path.stat()
    return {"path": str(path.resolve()), "size": stat.st_size, "mtime": stat.st_mtime}


def read_snli(directory: str | Path, splits: tuple[str, ...] | list[str] = ("dev", "test")) -> NLIPairs:
    """Read SentEval-layout SNLI files of `splits`; lines with a label outside NLI_LABELS (e.g. '-') are
    skipped and counted. The three files of a split must have the same number of lines."""
    directory = Path(directory)
    out = NLIPairs([], [], [])
    skipped = 0
    for split in splits:
        files = [require_file(directory / f"{name}.{split}") for name in ("s1", "s2", "labels")]
        s1, s2, labels = (read_text(f).splitlines() for f in files)
        if not len(s1) == len(s2) == len(labels):
            raise DataFormatError(f"{directory}: s1.{split}, s2.{split}, labels.{split} have {len(s1)}, {len(s2)}, "
                                  f"{len(labels)} lines; they must pair up line by line")
        for lineno, (p, h, label) in enumerate(zip(s1, s2, labels), start=1):
            label = label.strip()
            if label not in NLI_LABELS:
                skipped += 1
                continue
            if not p.strip() or not h.strip():
                raise format_error(files[0] if not p.strip() else files[1], lineno, "a non-empty sentence",
                                   p if not p.strip() else h)
            out.premises.append(_norm(p))
            out.hypotheses.append(_norm(h))
            out.labels.append(label)
    if skipped:
        log.info("%s: skipped %d pairs without a gold label", directory, skipped)
    if not out.labels:
        raise SettingError(f"no labelled NLI pair in {directory} (splits {list(splits)})")
    return out


def snli_triplets(pairs: NLIPairs) -> list[tuple[str, str, str]]:
    """(premise, entailment, contradiction) triplets, one per entailment of a premise that has both."""
    by_premise: dict[str, dict[str, list[str]]] = {}
    for p, h, label in zip(pairs.premises, pairs.hypotheses, pairs.labels):
        by_premise.setdefault(p, {"entailment": [], "contradiction": []}).get(label, []).append(h)
    triplets = []
    for premise, hyp in by_premise.items():
        ent, con = hyp["entailment"], hyp["contradiction"]
        if ent and con:
            triplets += [(premise, e, con[k % len(con)]) for k, e in enumerate(ent)]
    return triplets


def read_triplet_csv(path: str | Path, columns: tuple[str, str, str] = TRIPLET_COLUMNS) -> list[tuple[str, str, str]]:
    """Rows (anchor, positive, hard negative) of a csv with a header naming `columns` (SimCSE's layout);
    rows are checked by read_csv_rows (field counts, blank rows dropped)."""
    path = Path(path)
    triplets = []
    for lineno, row in read_csv_rows(path, columns, "triplet rows"):
        texts = tuple(_norm(row[c]) for c in columns)
        if not all(texts):
            raise format_error(path, lineno, f"expected three non-empty texts in {list(columns)}",
                               ",".join(row.values()))
        triplets.append(texts)
    return triplets


class TripletDataModule(ViewsDataModule):
    provides_hard_negatives = True

    """NLI triplets (V = 3) for supervised SimCSE.

    Args:
        path: the SNLI folder (format=snli), a csv file / Hub file (format=csv), an OCNLI or SimCLUE
            train_rank JSON-lines file (format=ocnli / simclue).
        format: "snli" / "ocnli" (triplets extracted from NLI pairs), "csv" (columns sent0, sent1,
            hard_neg) or "simclue" (query, title, neg_title).
        splits: SNLI splits to read (format=snli).
        Other arguments: see ViewsDataModule (batching defaults to no_duplicates: a premise with two
        entailments gives two triplets with the same anchor, which must not share a batch).
    """

    def __init__(self, path: str | Path, tokenizer, batch_builder, format: str = "csv",
                 splits: tuple[str, ...] | list[str] = ("dev", "test"), **kwargs):
        super().__init__(tokenizer, batch_builder, **kwargs)
        if format not in TRIPLET_FORMATS:
            raise SettingError(f"data.format must be one of {TRIPLET_FORMATS}, got {format!r}")
        self.path, self.format, self.splits = Path(str(path)).expanduser(), format, tuple(splits)

    def read(self) -> ViewsData:
        if self.format == "snli":
            triplets = snli_triplets(read_snli(self.path, self.splits))
            stamps = [_file_stamp(self.path / f"{n}.{s}") for s in self.splits for n in ("s1", "s2", "labels")]
            source = {"snli": stamps, "kind": "triplets"}
        else:
            from sentemb.data.zh_train import read_ocnli, read_simclue_triplets

            read = {"csv": read_triplet_csv, "simclue": read_simclue_triplets,
                    "ocnli": lambda path: snli_triplets(read_ocnli(path))}[self.format]
            triplets = read(self.path)
            source = {**_file_stamp(self.path), "kind": "triplets", "format": self.format}
        log.info("%d NLI triplets from %s", len(triplets), self.path)
        return ViewsData(texts=triplets, labels=None, source_id=source)
