"""Tests of the SentEval-style STS / STS-B / SICK readers, on small files and on the real data counts."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
import pytest

from sentemb.data.errors import DataFormatError
from sentemb.data.sts_readers import STS_SUBSETS, read_sick, read_sts_year, read_stsb, sick_path

DATA_DIR = Path(os.environ.get("SENTEMB_DATA_DIR") or Path(__file__).resolve().parents[2].parent / "shared" / "data")


def _write_year(root: Path, year: str, prefix: str = "STS", sub: str = "test-gold",
                rows: dict[str, tuple[list[str], list[str]]] | None = None) -> Path:
    folder = root / f"{year}-en-test" / sub
    folder.mkdir(parents=True)
    for subset in STS_SUBSETS[year]:
        inputs, golds = (rows or {}).get(subset, (["a  b\tc d", "e\tf"], ["1.0", "2.5"]))
        (folder / f"{prefix}.input.{subset}.txt").write_text("\n".join(inputs) + "\n", encoding="utf8")
        (folder / f"{prefix}.gs.{subset}.txt").write_text("\n".join(golds) + "\n", encoding="utf8")
    return root / f"{year}-en-test"


def test_sts_year_reads_subsets_skips_blank_gold(tmp_path: Path) -> None:
    rows = {"belief": (["x\ty", "p  q \tr", "s\tt"], ["3", "", "4.5"])}
    subsets = read_sts_year(_write_year(tmp_path, "STS15", rows=rows), "STS15")
    assert [p.name for p in subsets] == [f"STS15.{s}" for s in STS_SUBSETS["STS15"]]
    belief = subsets[STS_SUBSETS["STS15"].index("belief")]
    assert belief.sentences1 == ["x", "s"] and belief.sentences2 == ["y", "t"]
    assert belief.scores.dtype == np.float64 and belief.scores.tolist() == [3.0, 4.5]
    other = subsets[0]
    assert other.sentences1 == ["a b", "e"] and other.sentences2 == ["c d", "f"]  # whitespace normalised


def test_sts16_prefix_and_extra_fields(tmp_path: Path) -> None:
    rows = {"headlines": (["a\tb\tsrc1\tsrc2", "c\td\tx\ty"], ["", "5"])}
    subsets = read_sts_year(_write_year(tmp_path, "STS16", "STS2016", "sts2016", rows), "STS16")
    head = subsets[STS_SUBSETS["STS16"].index("headlines")]
    assert (head.sentences1, head.sentences2, head.scores.tolist()) == (["c"], ["d"], [5.0])


def test_sts_malformed_input_line_names_file_and_line(tmp_path: Path) -> None:
    rows = {"MSRvid": (["a\tb", "no tab here"], ["1", "2"])}
    with pytest.raises(DataFormatError, match=r"STS\.input\.MSRvid\.txt:2: .*'no tab here'"):
        read_sts_year(_write_year(tmp_path, "STS12", rows=rows), "STS12")


def test_sts_non_numeric_gold_and_count_mismatch(tmp_path: Path) -> None:
    rows = {"FNWN": (["a\tb", "c\td"], ["1", "high"])}
    with pytest.raises(DataFormatError, match=r"STS\.gs\.FNWN\.txt:2: .*'high'"):
        read_sts_year(_write_year(tmp_path / "x", "STS13", rows=rows), "STS13")
    rows = {"FNWN": (["a\tb", "c\td"], ["1"])}
    with pytest.raises(DataFormatError, match=r"STS\.gs\.FNWN\.txt"):
        read_sts_year(_write_year(tmp_path / "y", "STS13", rows=rows), "STS13")


def test_missing_files_mention_env_var(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="SENTEMB_DATA_DIR"):
        read_sts_year(tmp_path, "STS14")
    with pytest.raises(FileNotFoundError, match="SENTEMB_DATA_DIR"):
        read_stsb(tmp_path, "dev")
    with pytest.raises(FileNotFoundError, match=r"SICK_test_annotated\.txt.*SENTEMB_DATA_DIR"):
        read_sick(sick_path(tmp_path, "test"))


def test_stsb_reader(tmp_path: Path) -> None:
    folder = tmp_path / "stsbenchmark"
    folder.mkdir()
    lines = ["main-captions\tMSRvid\t2012test\t0001\t2.500\tA  girl.\tA girl \"quoted.",
             "main-news\theadlines\t2015\t0002\t4.0\tX y\tZ\textra\tfields"]
    (folder / "sts-dev.csv").write_text("\n".join(lines) + "\n", encoding="utf8")
    pairs = read_stsb(tmp_path, "dev")  # finds the stsbenchmark subfolder
    assert pairs.sentences1 == ["A girl.", "X y"] and pairs.sentences2 == ['A girl "quoted.', "Z"]
    assert pairs.scores.tolist() == [2.5, 4.0] and len(pairs) == 2
    (folder / "sts-test.csv").write_text("a\tb\tc\td\tnan-ish\te\tf\n", encoding="utf8")
    with pytest.raises(DataFormatError, match=r"sts-test\.csv:1: "):
        read_stsb(folder, "test")


def test_sick_reader(tmp_path: Path) -> None:
    path = tmp_path / "SICK_trial.txt"
    path.write_text("pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"
                    "1\tA  dog runs\tA dog is running\t4.5\tENTAILMENT\n"
                    "2\tA cat\tNo cat\t1.2\tCONTRADICTION\n", encoding="utf8")
    pairs = read_sick(path)
    assert pairs.sentences1 == ["A dog runs", "A cat"] and pairs.scores.tolist() == [4.5, 1.2]
    path.write_text("pair_ID\tsentence_A\tsentence_B\trelatedness_score\n1\tonly two\n", encoding="utf8")
    with pytest.raises(DataFormatError, match=r"SICK_trial\.txt:2: "):
        read_sick(path)


@pytest.mark.skipif(not (DATA_DIR / "en" / "STS").is_dir(), reason=f"no real data at {DATA_DIR}")
def test_real_pair_counts() -> None:
    sts = DATA_DIR / "en" / "STS"
    expected = {"STS12": 3108, "STS13": 1500, "STS14": 3750, "STS15": 3000, "STS16": 1186}
    for year, count in expected.items():
        assert sum(len(p) for p in read_sts_year(sts / f"{year}-en-test", year)) == count, year
    assert len(read_stsb(sts / "STSBenchmark", "test")) == 1379
    assert len(read_stsb(sts / "STSBenchmark", "dev")) == 1500
    assert len(read_stsb(sts / "STSBenchmark", "train")) == 5749
    assert len(read_sick(sick_path(DATA_DIR, "test"))) == 4927
    assert len(read_sick(sick_path(DATA_DIR, "train"))) == 4500
