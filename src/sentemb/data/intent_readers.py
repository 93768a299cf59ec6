"""Readers for the intent classification sets: Banking77, CLINC150 and SNIPS, in their original layouts.

Each returns `LabelledTexts` (texts and string intent labels) of one split. Layout under the data root:
    en/banking77/{train,test}.csv              csv with header `text,category` (Casanueva et al. 2020)
    en/clinc150/data_full.json                 {"train"|"val"|"test"|"oos_*": [[text, intent], ...]}
                                               (Larson et al. 2019); out-of-scope ("oos") kept out by default
    en/snips/{train,dev,test}/{seq.in,label}   one text / one intent a line (Coucke et al. 2018, JointBERT split)
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

from sentemb.data.clustering_readers import LabelledTexts, read_lines
from sentemb.data.errors import DataFormatError, format_error, require_file
from sentemb.data.textio import read_text
from sentemb.errors import SettingError

__all__ = ["INTENT_SETS", "read_banking77", "read_clinc150", "read_intent_set", "read_snips"]

INTENT_SETS = ("banking77", "clinc150", "snips")
OOS_LABEL = "oos"


def _norm(text: str) -> str:
    return " ".join(text.split())


def read_banking77(directory: str | Path, split: str) -> LabelledTexts:
    """`<directory>/{train,test}.csv` with header `text,category`."""
    if split not in ("train", "test"):
        raise SettingError(f"unknown Banking77 split {split!r}; expected 'train' or 'test'")
    path = require_file(Path(directory) / f"{split}.csv")
    texts, labels = [], []
    with io.StringIO(read_text(path), newline="") as fh:
        reader = csv.reader(fh)
        header = next(reader, None)
        if header is None or [h.strip() for h in header[:2]] != ["text", "category"]:
            raise format_error(path, 1, "expected the header 'text,category'", ",".join(header or []))
        for row in reader:
            if not row or not any(f.strip() for f in row):
                continue
            if len(row) != 2 or not row[0].strip() or not row[1].strip():
                raise format_error(path, reader.line_num, "expected 'text,category'", ",".join(row))
            texts.append(_norm(row[0]))
            labels.append(row[1].strip())
    if not texts:
        raise DataFormatError(f"{path}: no 'text,category' rows after the header")
    return LabelledTexts(f"banking77.{split}", texts, labels)


def read_clinc150(path: str | Path, split: str, include_oos: bool = False) -> LabelledTexts:
    """Split `train`, `val` or `test` of CLINC150's data_full.json: in-scope intents only unless
    `include_oos`, which appends the `oos_<split>` examples with label "oos"."""
    if split not in ("train", "val", "test"):
        raise SettingError(f"unknown CLINC150 split {split!r}; expected 'train', 'val' or 'test'")
    path = require_file(path)
    try:
        data = json.loads(read_text(path))
    except json.JSONDecodeError as err:
        raise DataFormatError(f"{path}:{err.lineno}: not valid JSON ({err.msg})") from None
    keys = [split, f"oos_{split}"] if include_oos else [split]
    texts, labels = [], []
    for key in keys:
        if key not in data:
            raise DataFormatError(f"{path}: no key {key!r}; expected CLINC150's data_full.json "
                                  f"with keys {sorted(data) if isinstance(data, dict) else type(data).__name__}")
        for i, item in enumerate(data[key]):
            if not (isinstance(item, list) and len(item) == 2 and all(isinstance(x, str) for x in item)):
                raise DataFormatError(f"{path}: {key}[{i}] is {str(item)[:80]!r}; expected [text, intent]")
            texts.append(_norm(item[0]))
            labels.append(item[1].strip())
    return LabelledTexts(f"clinc150.{split}", texts, labels)


def read_snips(directory: str | Path, split: str) -> LabelledTexts:
    """`<directory>/<split>/seq.in` (one text a line) and `<split>/label` (its intent)."""
    if split not in ("train", "dev", "test"):
        raise SettingError(f"unknown SNIPS split {split!r}; expected 'train', 'dev' or 'test'")
    text_path, label_path = Path(directory) / split / "seq.in", Path(directory) / split / "label"
    texts, golds = read_lines(text_path), read_lines(label_path)
    if len(texts) != len(golds):
        raise DataFormatError(f"{label_path}: {len(golds)} labels but {text_path} has {len(texts)} texts")
    out_texts, out_labels = [], []
    for lineno, (text, gold) in enumerate(zip(texts, golds), start=1):
        if not text.strip() and not gold.strip():
            continue
        if not text.strip() or not gold.strip():
            raise format_error(label_path if text.strip() else text_path, lineno,
                               "expected a text and its intent on the same line of seq.in and label",
                               gold if text.strip() else text)
        out_texts.append(_norm(text))
        out_labels.append(gold.strip())
    return LabelledTexts(f"snips.{split}", out_texts, out_labels)


def read_intent_set(data_dir: str | Path, name: str, split: str) -> LabelledTexts:
    """Split `train` or `test` of one of INTENT_SETS under the data root (CLINC150: in-scope only)."""
    en = Path(data_dir) / "en"
    if name == "banking77":
        return read_banking77(en / "banking77", split)
    if name == "clinc150":
        return read_clinc150(en / "clinc150" / "data_full.json", split)
    if name == "snips":
        return read_snips(en / "snips", split)
    raise SettingError(f"unknown intent set {name!r}; expected one of {INTENT_SETS}")
