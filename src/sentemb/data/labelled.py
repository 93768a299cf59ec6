"""Texts with a class label (intent data sets, any labelled csv) for SupCon.

Readers return `LabelledTexts` (texts and string labels) from the original files in ../shared/data
(the intent sets through `sentemb.data.intent_readers`, shared with the intent evaluator):
    banking77  en/banking77/{train,test}.csv, columns text,category (Casanueva et al. 2020)
    clinc150   en/clinc150/data_full.json, {"train": [[text, intent], ...], "val", "test", "oos_*"}
               (Larson et al. 2019); the out-of-scope lists are read only when asked for
    snips      en/snips/{train,dev,test}/seq.in + label, one item a line (Coucke et al. 2018)
    csv        any csv with a header naming the text and label columns
`LabelledDataModule` maps the label names to ids (sorted names -> 0..K-1), drops repeated (text, label)
rows, and serves batches with at least `per_label` rows of each label (data.batching=label).
"""

from __future__ import annotations

import logging
from pathlib import Path

from sentemb.data.clustering_readers import LabelledTexts
from sentemb.data.csv_rows import read_csv_rows
from sentemb.data.errors import format_error
from sentemb.data.intent_readers import read_banking77, read_clinc150, read_snips
from sentemb.data.views_datamodule import ViewsData, ViewsDataModule
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

FORMATS = ("banking77", "clinc150", "snips", "csv")


def read_labelled_csv(path: str | Path, text_column: str = "text", label_column: str = "label") -> LabelledTexts:
    """A csv with a header; `text_column` and `label_column` must be in it (rows checked by read_csv_rows)."""
    path = Path(path)
    texts, labels = [], []
    for lineno, row in read_csv_rows(path, (text_column, label_column), "labelled rows"):
        text, label = " ".join(row[text_column].split()), row[label_column].strip()
        if not text or not label:
            raise format_error(path, lineno, f"expected a text in '{text_column}' and a label in '{label_column}'",
                               ",".join(row.values()))
        texts.append(text)
        labels.append(label)
    return LabelledTexts(path.stem, texts, labels)


def read_labelled(format: str, path: str | Path, split: str = "train", text_column: str = "text",
                  label_column: str = "label") -> LabelledTexts:
    """Dispatch on `format` (one of FORMATS); `path` is the data set's folder, json or csv file."""
    if format == "banking77":
        return read_banking77(path, split)
    if format == "clinc150":
        return read_clinc150(path, split)
    if format == "snips":
        return read_snips(path, split)
    if format == "csv":
        return read_labelled_csv(path, text_column, label_column)
    raise SettingError(f"data.format must be one of {FORMATS}, got {format!r}")


class LabelledDataModule(ViewsDataModule):
    provides_labels = "class"

    """Labelled texts (one view per row; the model's builder repeats it for dropout views) for SupCon.

    Args:
        path, format, split, text_column, label_column: see `read_labelled`.
        batching: "label" by default (>= per_label rows of every label in a batch, no duplicate texts).
    """

    def __init__(self, path: str | Path, tokenizer, batch_builder, format: str = "csv", split: str = "train",
                 text_column: str = "text", label_column: str = "label", batching: str = "label", **kwargs):
        super().__init__(tokenizer, batch_builder, batching=batching, **kwargs)
        if format not in FORMATS:
            raise SettingError(f"data.format must be one of {FORMATS}, got {format!r}")
        self.path, self.format, self.split = Path(str(path)).expanduser(), format, split
        self.text_column, self.label_column = text_column, label_column
        self.label_names: list[str] = []

    def read(self) -> ViewsData:
        raw = read_labelled(self.format, self.path, self.split, self.text_column, self.label_column)
        seen, texts, labels = set(), [], []
        for text, label in zip(raw.texts, raw.labels):
            if (text, label) not in seen:
                seen.add((text, label))
                texts.append((text,))
                labels.append(label)
        if len(texts) < len(raw.texts):
            log.info("%s: dropped %d repeated (text, label) rows", self.path, len(raw.texts) - len(texts))
        self.label_names = sorted(set(labels))
        ids = {name: i for i, name in enumerate(self.label_names)}
        files = sorted(p for p in self.path.rglob("*") if p.is_file()) if self.path.is_dir() else [self.path]
        stamp = [(str(p.resolve()), p.stat().st_size, p.stat().st_mtime) for p in files]
        log.info("%d labelled texts, %d labels (%s %s)", len(texts), len(self.label_names), self.format, self.split)
        return ViewsData(texts=texts, labels=[ids[label] for label in labels],
                         source_id={"files": stamp, "format": self.format, "split": self.split, "kind": "labelled"})
