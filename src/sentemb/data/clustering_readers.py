"""Readers for labelled short texts: the short-text clustering sets of Xu et al. (STC2, 2017).

`LabelledTexts` holds N texts and their N gold labels (strings), whatever the source format; the intent
readers (`sentemb.data.intent_readers`) return it too.

Layout under the data root (`$SENTEMB_DATA_DIR`, see SOURCES.md there):
    en/stc/{StackOverflow,Biomedical,SearchSnippets}.txt      one text a line (SearchSnippets starts with a BOM)
    en/stc/{StackOverflow,Biomedical,SearchSnippets}_gnd.txt  the gold cluster id of the same line
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from pathlib import Path

from sentemb.data.errors import DataFormatError, format_error
from sentemb.data.textio import read_lines  # noqa: F401  (re-exported for readers)
from sentemb.errors import SettingError

__all__ = ["STC_SETS", "LabelledTexts", "read_lines", "read_stc", "stc_dir"]

STC_SETS = ("StackOverflow", "Biomedical", "SearchSnippets")


@dataclass(frozen=True)
class LabelledTexts:
    """N texts with their gold labels: texts[i] has label labels[i] (strings, as written in the file)."""

    name: str
    texts: list[str]
    labels: list[str]

    def __post_init__(self) -> None:
        if len(self.texts) != len(self.labels):
            raise ValueError(f"LabelledTexts {self.name!r}: {len(self.texts)} texts but {len(self.labels)} labels")
        if not self.texts:
            raise ValueError(f"LabelledTexts {self.name!r}: no text")

    def __len__(self) -> int:
        return len(self.texts)

    @property
    def classes(self) -> list[str]:
        """The distinct labels, sorted."""
        return sorted(set(self.labels))

    def counts(self) -> Counter:
        return Counter(self.labels)


def stc_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / "en" / "stc"


def read_stc(directory: str | Path, name: str) -> LabelledTexts:
    """Read `<directory>/<name>.txt` and `<name>_gnd.txt` (line i of one labels line i of the other).

    Texts are whitespace-normalised; an empty text line or gold line is an error naming the line, as is a
    different number of lines in the two files.
    """
    if name not in STC_SETS:
        raise SettingError(f"unknown clustering set {name!r}; expected one of {STC_SETS}")
    text_path, gold_path = Path(directory) / f"{name}.txt", Path(directory) / f"{name}_gnd.txt"
    texts, golds = read_lines(text_path), read_lines(gold_path)
    while texts and not texts[-1].strip() and len(texts) > len(golds):  # a trailing blank line
        texts.pop()
    while golds and not golds[-1].strip() and len(golds) > len(texts):
        golds.pop()
    if len(texts) != len(golds):
        raise DataFormatError(f"{gold_path}: {len(golds)} labels but {text_path} has {len(texts)} texts; "
                              "they must pair up line by line")
    out_texts, out_labels = [], []
    for lineno, (text, gold) in enumerate(zip(texts, golds), start=1):
        if not gold.strip():
            raise format_error(gold_path, lineno, "expected a cluster label", gold)
        if not text.strip():
            raise format_error(text_path, lineno, "expected a non-empty text", text)
        out_texts.append(" ".join(text.split()))
        out_labels.append(gold.strip())
    return LabelledTexts(name, out_texts, out_labels)
