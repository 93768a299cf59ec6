"""NLI readers: SNLI triplet extraction and the SimCSE triplet csv, on small files written here."""

from pathlib import Path

import pytest

from sentemb.data.errors import DataFormatError
from sentemb.data.nli import read_snli, read_triplet_csv, snli_triplets

SNLI_ROWS = [  # (premise, hypothesis, label) in SentEval's tokenised style
    ("Two women are embracing . ", "The sisters are hugging . ", "neutral"),
    ("Two women are embracing . ", "Two woman are holding packages . ", "entailment"),
    ("Two women are embracing . ", "The men are fighting . ", "contradiction"),
    ("A dog runs .", "An animal moves .", "entailment"),
    ("A dog runs .", "A dog is outside .", "entailment"),
    ("A dog runs .", "A cat sleeps .", "contradiction"),
    ("A man sings .", "A person makes sound .", "entailment"),  # no contradiction: no triplet
    ("A man sings .", "Nobody sings .", "-"),  # no gold label: skipped
    ("A kid reads .", "A kid sleeps .", "contradiction"),  # no entailment: no triplet
]


def write_snli(folder: Path, split: str, rows) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, col in (("s1", 0), ("s2", 1), ("labels", 2)):
        (folder / f"{name}.{split}").write_text("\n".join(r[col] for r in rows) + "\n")
    return folder


def test_snli_triplets_from_premises_with_both_labels(tmp_path):
    folder = write_snli(tmp_path / "SNLI", "dev", SNLI_ROWS)
    pairs = read_snli(folder, ["dev"])
    assert len(pairs.labels) == 8 and "-" not in pairs.labels
    assert pairs.premises[0] == "Two women are embracing ."  # whitespace normalised
    assert snli_triplets(pairs) == [
        ("Two women are embracing .", "Two woman are holding packages .", "The men are fighting ."),
        ("A dog runs .", "An animal moves .", "A cat sleeps ."),
        ("A dog runs .", "A dog is outside .", "A cat sleeps ."),
    ]


def test_snli_reads_several_splits_and_checks_lengths(tmp_path):
    folder = write_snli(tmp_path / "SNLI", "dev", SNLI_ROWS[:3])
    write_snli(folder, "test", SNLI_ROWS[3:6])
    assert len(snli_triplets(read_snli(folder, ["dev", "test"]))) == 3
    (folder / "labels.test").write_text("entailment\n")
    with pytest.raises(DataFormatError, match="pair up line by line"):
        read_snli(folder, ["test"])
    with pytest.raises(FileNotFoundError, match="s1.train"):
        read_snli(folder, ["train"])


def test_triplet_csv_reader(tmp_path):
    path = tmp_path / "nli.csv"
    path.write_text('sent0,sent1,hard_neg\n"A man, smiling.",A person smiles.,Nobody smiles.\nx,y,z\n')
    assert read_triplet_csv(path) == [("A man, smiling.", "A person smiles.", "Nobody smiles."), ("x", "y", "z")]
    path.write_text("a,b,c\n1,2,3\n")
    with pytest.raises(DataFormatError, match="missing"):
        read_triplet_csv(path)
    path.write_text("sent0,sent1,hard_neg\nx,,z\n")
    with pytest.raises(DataFormatError, match=r"nli.csv:2"):
        read_triplet_csv(path)


def test_real_snli_sample_gives_thousands_of_triplets(shared_data_dir):
    triplets = snli_triplets(read_snli(shared_data_dir / "en" / "SNLI", ["dev"]))
    assert 2500 < len(triplets) < 4000
