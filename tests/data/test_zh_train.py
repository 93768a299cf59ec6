"""The Chinese training sets as data options: readers (good rows, bad rows named by file:line) and a
fast_dev_run of every new data option through `train` on the tiny random BERT."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import compose_config
from sentemb.data.errors import DataFormatError
from sentemb.data.nli import snli_triplets
from sentemb.data.zh_train import (
    ZH_SENTENCE_SOURCES,
    read_atec_train,
    read_ocnli,
    read_simclue_pairs,
    read_simclue_triplets,
    read_zh_sentences,
)
from sentemb.train import train

S = ["花呗怎么还款", "花呗如何还钱", "借呗额度怎么提升", "今天天气很好", "我想买一部手机", "这部电影很好看",
     "他在公园里跑步", "明天会下雨吗"]


def jsonl(path: Path, rows: list) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("".join((r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows),
                    encoding="utf-8")
    return path


def fake_zh(root: Path) -> Path:
    """<root>/zh with small files in every original layout (and ATEC eval files sharing one pair)."""
    zh = root / "zh"
    (zh / "STS-B").mkdir(parents=True)
    (zh / "STS-B" / "STS-B.train.data").write_text(
        "".join(f"{S[i]}\t{S[(i + 1) % 8]}\t{i % 6}\n" for i in range(8)), encoding="utf-8")
    (zh / "ATEC_orig").mkdir()
    (zh / "ATEC_orig" / "atec_nlp_sim_train.csv").write_text(
        "\ufeff1\t\ufeff" + "".join(f"{S[i]}\t{S[(i + 2) % 8]}\t{i % 2}\n{i + 2}\t" for i in range(8))[:-3],
        encoding="utf-8")
    (zh / "ATEC").mkdir()
    (zh / "ATEC" / "ATEC.test.data").write_text(f"{S[2]}\t{S[4]}\t0\n", encoding="utf-8")
    labels = ["entailment", "contradiction", "neutral", "-"]
    jsonl(zh / "OCNLI" / "train.10k.json", [{"sentence1": S[i // 4], "sentence2": S[(i + 3) % 8],
                                             "label": labels[i % 4]} for i in range(16)])
    jsonl(zh / "SimCLUE" / "train_rank_1w.json", [{"query": S[i], "title": S[(i + 1) % 8],
                                                   "neg_title": S[(i + 4) % 8]} for i in range(8)])
    jsonl(zh / "SimCLUE" / "train_pair_1w.json", [{"sentence1": S[i], "sentence2": S[(i + 5) % 8],
                                                   "label": str(i % 2)} for i in range(8)])
    (zh / "SimCLUE" / "corpus_1w.txt").write_text("\n".join(S) + "\n\n", encoding="utf-8")
    return root


def test_atec_reader_strips_byte_order_marks_and_leaves_out_eval_pairs(tmp_path):
    path = fake_zh(tmp_path) / "zh" / "ATEC_orig" / "atec_nlp_sim_train.csv"
    pairs, labels = read_atec_train(path, exclude_eval=False)
    assert len(pairs) == 8 and pairs[0] == (S[0], S[2]) and labels[:2] == [0, 1]
    kept, _ = read_atec_train(path)
    assert len(kept) == 7 and (S[2], S[4]) not in kept  # the pair of ATEC.test.data is left out


def test_ocnli_skips_unlabelled_rows_and_builds_triplets(tmp_path):
    nli = read_ocnli(fake_zh(tmp_path) / "zh" / "OCNLI" / "train.10k.json")
    assert len(nli.labels) == 12 and "-" not in nli.labels
    triplets = snli_triplets(nli)
    assert triplets and all(t[0] != t[1] for t in triplets)
    assert triplets[0] == (S[0], S[3], S[4])  # premise 0: entailment row 0, contradiction row 1


def test_simclue_readers(tmp_path):
    zh = fake_zh(tmp_path) / "zh" / "SimCLUE"
    assert read_simclue_triplets(zh / "train_rank_1w.json")[1] == (S[1], S[2], S[5])
    pairs, labels = read_simclue_pairs(zh / "train_pair_1w.json")
    assert len(pairs) == 8 and labels == [0, 1] * 4


def test_zh_sentences_are_distinct_in_first_seen_order(tmp_path):
    root = fake_zh(tmp_path)
    texts, files = read_zh_sentences(root, ["stsb_train", "simclue_corpus"])
    assert texts == [S[0], S[1], S[2], S[3], S[4], S[5], S[6], S[7]] and len(files) == 2
    assert set(read_zh_sentences(root, list(ZH_SENTENCE_SOURCES))[0]) == set(S)
    with pytest.raises(ValueError, match="data.sources: unknown"):
        read_zh_sentences(root, ["lcqmc_train"])


BAD_ROWS = {
    "atec fields": ("ATEC_orig/atec_nlp_sim_train.csv", "1\t花呗\t借呗\t1\n2\t花呗\t1\n", read_atec_train, 2),
    "atec label": ("ATEC_orig/atec_nlp_sim_train.csv", "1\t花呗\t借呗\t1\n2\t花呗\t借呗\t3\n", read_atec_train, 2),
    "ocnli json": ("OCNLI/train.10k.json", '{"sentence1": "a", "sentence2": "b", "label": "neutral"}\n{"sentence1": \n',
                   read_ocnli, 2),
    "ocnli label": ("OCNLI/train.10k.json", '{"sentence1": "a", "sentence2": "b", "label": "maybe"}\n', read_ocnli, 1),
    "simclue keys": ("SimCLUE/train_rank_1w.json", '{"query": "a", "title": "b"}\n', read_simclue_triplets, 1),
    "simclue empty": ("SimCLUE/train_rank_1w.json", '{"query": "a", "title": " ", "neg_title": "c"}\n',
                      read_simclue_triplets, 1),
    "simclue pair label": ("SimCLUE/train_pair_1w.json",
                           '{"sentence1": "a", "sentence2": "b", "label": "1"}\n\n{"sentence1": "a", '
                           '"sentence2": "b", "label": "x"}\n', read_simclue_pairs, 3),
    "not utf-8": ("SimCLUE/train_pair_1w.json", b'{"sentence1": "a", "sentence2": "\xff", "label": "1"}\n',
                  read_simclue_pairs, 1),
}


@pytest.mark.parametrize("name", BAD_ROWS)
def test_a_bad_row_is_refused_naming_file_and_line(name, tmp_path):
    relative, content, reader, lineno = BAD_ROWS[name]
    path = tmp_path / "zh" / relative
    path.parent.mkdir(parents=True)
    (path.write_bytes if isinstance(content, bytes) else path.write_text)(content)
    with pytest.raises(DataFormatError, match=f"{path}:{lineno}: expected"):
        reader(path)


DATA_OPTIONS = {  # data option -> (its file under <data>/zh or None for a data_dir, model overrides)
    "stsb_zh_train": ("STS-B/STS-B.train.data", ["model=cosent"]),
    "atec_train": ("ATEC_orig/atec_nlp_sim_train.csv", ["model=cosent"]),
    "simclue_pairs": ("SimCLUE/train_pair_1w.json", ["model=sbert", "loss=cosine_regression"]),
    "ocnli_pairs": ("OCNLI/train.10k.json", ["model=sbert"]),
    "ocnli_triplets": ("OCNLI/train.10k.json", ["model=simcse_sup"]),
    "simclue_triplets": ("SimCLUE/train_rank_1w.json", ["model=simcse_sup"]),
    "zh_sentences": (None, ["model=simcse_unsup", "augment=word_deletion", "augment.cjk=chars"]),
}


@pytest.mark.parametrize("option", DATA_OPTIONS)
def test_every_chinese_data_option_fast_dev_run(option, tiny_overrides, tmp_path):
    root = fake_zh(tmp_path / "data")
    relative, model = DATA_OPTIONS[option]
    where = f"data.data_dir={root}" if relative is None else f"data.path={root / 'zh' / relative}"
    overrides = [o for o in tiny_overrides if not o.startswith(("data=", "data.path="))]
    cfg = compose_config([*overrides, *model, f"data={option}", where, "data.batch_size=4",
                          "trainer.fast_dev_run=true"], tmp_path / "run")
    train(cfg)
    assert (tmp_path / "run" / "config.yaml").is_file()


def test_the_shared_chinese_files_read(shared_data_dir):
    zh = shared_data_dir / "zh"
    pairs, labels = read_atec_train(zh / "ATEC_orig" / "atec_nlp_sim_train.csv")
    assert 20_000 < len(pairs) < 39_346 and set(labels) == {0, 1}  # eval pairs left out
    assert len(read_ocnli(zh / "OCNLI" / "train.10k.json").labels) == 9_985  # 15 rows labelled '-'
    assert len(read_simclue_triplets(zh / "SimCLUE" / "train_rank_1w.json")) == 10_000
    assert len(read_simclue_pairs(zh / "SimCLUE" / "train_pair_1w.json")[0]) == 10_000
