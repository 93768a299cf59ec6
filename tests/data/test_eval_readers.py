"""Tests of the clustering, intent and Chinese STS readers on small files written here."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from sentemb.data.clustering_readers import read_stc
from sentemb.data.errors import DataFormatError
from sentemb.data.intent_readers import read_banking77, read_clinc150, read_intent_set, read_snips
from sentemb.data.zh_readers import read_zh_pairs, zh_task_path


def test_stc_reader_drops_bom_and_pairs_lines(tmp_path: Path) -> None:
    (tmp_path / "SearchSnippets.txt").write_bytes("\ufeffbusiness  news today\nfootball scores\n".encode())
    (tmp_path / "SearchSnippets_gnd.txt").write_text("1\n2\n")
    data = read_stc(tmp_path, "SearchSnippets")
    assert data.texts == ["business news today", "football scores"] and data.labels == ["1", "2"]
    assert data.classes == ["1", "2"]
    (tmp_path / "SearchSnippets_gnd.txt").write_text("1\n2\n3\n")
    with pytest.raises(DataFormatError, match="3 labels"):
        read_stc(tmp_path, "SearchSnippets")
    (tmp_path / "SearchSnippets_gnd.txt").write_text("1\n\n")
    with pytest.raises(DataFormatError, match=r"SearchSnippets_gnd.txt:2"):
        read_stc(tmp_path, "SearchSnippets")
    with pytest.raises(FileNotFoundError, match="Biomedical.txt"):
        read_stc(tmp_path, "Biomedical")


def test_intent_readers(tmp_path: Path) -> None:
    bank = tmp_path / "en" / "banking77"
    bank.mkdir(parents=True)
    (bank / "train.csv").write_text('text,category\nwhere is my card?,card_arrival\n"hi, top up",top_up\n')
    (bank / "test.csv").write_text("text,category\nbad line without label\n")
    assert read_banking77(bank, "train").labels == ["card_arrival", "top_up"]
    assert read_banking77(bank, "train").texts[1] == "hi, top up"
    with pytest.raises(DataFormatError, match=r"test.csv:2"):
        read_banking77(bank, "test")
    clinc = tmp_path / "en" / "clinc150"
    clinc.mkdir(parents=True)
    data = {k: [["t " + k, "translate"]] for k in ("train", "val", "test")}
    data |= {f"oos_{k}": [["what is up", "oos"]] for k in ("train", "val", "test")}
    (clinc / "data_full.json").write_text(json.dumps(data))
    assert read_clinc150(clinc / "data_full.json", "test").labels == ["translate"]  # oos kept out
    assert read_clinc150(clinc / "data_full.json", "test", include_oos=True).labels == ["translate", "oos"]
    snips = tmp_path / "en" / "snips" / "train"
    snips.mkdir(parents=True)
    (snips / "seq.in").write_text("play some jazz \nbook a table\n")
    (snips / "label").write_text("PlayMusic\nBookRestaurant\n")
    assert read_snips(tmp_path / "en" / "snips", "train").texts == ["play some jazz", "book a table"]
    assert read_intent_set(tmp_path, "snips", "train").labels == ["PlayMusic", "BookRestaurant"]
    with pytest.raises(ValueError, match="unknown intent set"):
        read_intent_set(tmp_path, "atis", "train")


def test_zh_reader(tmp_path: Path) -> None:
    path = zh_task_path(tmp_path, "ATEC", "test")
    path.parent.mkdir(parents=True)
    path.write_text("怎么花呗不可以用\t花呗不能付电费了\t0\n\n借呗还款的账单日\t借呗的借款日期\t1\n", encoding="utf8")
    pairs = read_zh_pairs(path)
    assert pairs.sentences1 == ["怎么花呗不可以用", "借呗还款的账单日"]
    assert pairs.sentences2[1] == "借呗的借款日期" and pairs.scores.tolist() == [0.0, 1.0]
    assert pairs.scores.dtype == np.float64 and pairs.name == "ATEC.test"
    path.write_text("一个女孩在梳头。\t一个女孩。\t1\n只有两列\t没有分数\n", encoding="utf8")
    with pytest.raises(DataFormatError, match=r"ATEC.test.data:2"):
        read_zh_pairs(path)
    path.write_text("一个女孩\t一个\tfive\n", encoding="utf8")
    with pytest.raises(DataFormatError, match="numeric"):
        read_zh_pairs(path)
    with pytest.raises(ValueError, match="unknown Chinese STS task"):
        zh_task_path(tmp_path, "AFQMC")
