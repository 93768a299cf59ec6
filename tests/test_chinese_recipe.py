"""experiment=simcse_unsup_zh composes and runs fast_dev_run with a tiny random backbone and a Chinese tokenizer."""

from __future__ import annotations

from pathlib import Path

from transformers import BertTokenizer

from conftest import compose_config
from sentemb.train import train

ZH_SENTENCES = ["一个男人在弹吉他。", "一个女人在切洋葱。", "两只狗跑过田野。", "股市今天大幅下跌。",
                "一个孩子在街上骑自行车。", "委员会周一批准了新预算。", "科学家发现了一种新的青蛙。", "他做了意大利面当晚餐。"]


def chinese_tokenizer_folder(folder: Path) -> Path:
    """A BERT tokenizer over the characters of ZH_SENTENCES (character-level, like chinese-roberta-wwm-ext)."""
    folder.mkdir(parents=True, exist_ok=True)
    chars = sorted(set("".join(ZH_SENTENCES)))
    (folder / "vocab.txt").write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", *chars]) + "\n")
    BertTokenizer(str(folder / "vocab.txt")).save_pretrained(folder)
    return folder


def test_recipe_composes(tmp_path):
    cfg = compose_config(["experiment=simcse_unsup_zh"], tmp_path)
    assert cfg.backbone.name_or_path == "hfl/chinese-roberta-wwm-ext"
    assert cfg.data.path.endswith("zh/SimCLUE/corpus_1w.txt") and list(cfg.eval) == ["sts_zh"]
    assert cfg.dev._target_.endswith("ChineseSTSBDevScorer") and cfg.optimized_metric == "val/stsb_zh_spearman"
    assert cfg.callbacks.sts_dev.scorer == cfg.dev  # Chinese STS-B dev selects the best encoder


def test_recipe_fast_dev_run_with_a_chinese_tokenizer(tmp_path):
    corpus = tmp_path / "zh.txt"
    corpus.write_text("\n".join(ZH_SENTENCES * 2) + "\n")
    tokenizer = chinese_tokenizer_folder(tmp_path / "tok")
    base = ["experiment=simcse_unsup_zh", "backbone=tiny_random", f"backbone.tokenizer_name_or_path={tokenizer}",
            "data=text_file", f"data.path={corpus}", "data.batch_size=8", f"cache_dir={tmp_path / 'cache'}",
            "logger=none", "trainer.fast_dev_run=true"]
    train(compose_config([*base, "augment=word_deletion"], tmp_path / "run"))
    train(compose_config([*base, "model=simcse_unsup_mlm"], tmp_path / "run_mlm"))
