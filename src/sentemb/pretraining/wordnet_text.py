"""WordNet 3.0 glosses and usage examples as sentences, from the database files (`data.{noun,verb,adj,adv}`,
Princeton's wndb format, as Debian's `wordnet-base` installs them in /usr/share/wordnet).

A synset line ends with `| gloss`: definitions and quoted examples separated by "; ", e.g.
`| a young person of either sex; "she writes books for children"`. Each definition and each example is
one text here (quotes removed).
"""

from __future__ import annotations

from pathlib import Path

from sentemb.augment.wordnet import POS_FILES, default_wordnet_dir
from sentemb.data.textio import read_lines
from sentemb.errors import MissingFileError


def missing_wordnet(folder: str | Path | None = None) -> str | None:
    """None when the four data files are in `folder` (default: $SENTEMB_WORDNET_DIR or /usr/share/wordnet), else
    what is missing where, e.g. "no WordNet 3.0 database in '/usr/share/wordnet' (missing data.noun, ...)"."""
    folder = Path(folder or default_wordnet_dir()).expanduser()
    missing = [f"data.{name}" for name in POS_FILES.values() if not (folder / f"data.{name}").is_file()]
    return f"no WordNet 3.0 database in '{folder}' (missing {', '.join(missing)})" if missing else None


def wordnet_files(folder: str | Path | None = None) -> list[Path]:
    """The four data files; MissingFileError naming the folder and how to install them when one is missing."""
    problem = missing_wordnet(folder)
    if problem:
        raise MissingFileError(
            f"corpus source 'wordnet': {problem}: `make install-wordnet` (apt-get install wordnet-base), set "
            "corpus.wordnet_dir / SENTEMB_WORDNET_DIR, or drop 'wordnet' from corpus.sources")
    folder = Path(folder or default_wordnet_dir()).expanduser()
    return [folder / f"data.{name}" for name in POS_FILES.values()]


def gloss_texts(gloss: str) -> list[str]:
    """'def one; def two; "example one"; "example two"' -> ['def one', 'def two', 'example one', ...]."""
    out = []
    for part in gloss.split(";"):
        text = " ".join(part.strip().strip('"').split())
        if text:
            out.append(text)
    return out


def read_wordnet_texts(folder: str | Path | None = None) -> list[str]:
    """Every definition and usage example of every synset, in file order (duplicates kept)."""
    texts: list[str] = []
    for path in wordnet_files(folder):
        for line in read_lines(path):
            if line.startswith(" ") or "|" not in line:  # licence header
                continue
            texts.extend(gloss_texts(line.split("|", 1)[1]))
    return texts
