"""`train(cfg)` returns (metric_dict, object_dict); `sentemb.run` hands `optimized_metric`'s value to sweepers;
the dev set is a setting (`dev`), and Chinese data scores Chinese STS-B dev."""

from __future__ import annotations

import json

import pytest

from conftest import compose_config
from sentemb.errors import SettingError
from sentemb.run import optimized_value
from sentemb.train import train


def test_optimized_value_is_the_metric_of_an_evaluated_run():
    evaluated = {"results": {}}
    assert optimized_value("val/stsb_spearman", {"val/stsb_spearman": 81.0, "train/loss": 0.1}, evaluated) == 81.0
    assert optimized_value("train/loss", {"train/loss": 0.1}, evaluated) == 0.1
    assert optimized_value(None, {"val/x": 1.0}, evaluated) is None
    assert optimized_value("val/stsb_spearman", {"train/loss": 0.1}, {}) is None  # not evaluated: rank > 0, fast_dev_run
    with pytest.raises(SettingError, match=r"optimized_metric=val/nope: .* val/stsb_zh_spearman"):
        optimized_value("val/nope", {"val/stsb_zh_spearman": 50.0}, evaluated)


def test_chinese_data_options_pick_the_chinese_dev_set_and_the_command_line_wins(tmp_path):
    for data in ("zh_sentences", "stsb_zh_train", "atec_train", "simclue_corpus", "ocnli_triplets"):
        cfg = compose_config([f"data={data}"], tmp_path)
        assert cfg.dev._target_.endswith("ChineseSTSBDevScorer"), data
        assert cfg.optimized_metric == "val/stsb_zh_spearman"
    cfg = compose_config(["data=zh_sentences", "dev=stsb", "optimized_metric=test/sts_zh_avg"], tmp_path)
    assert cfg.dev._target_.endswith(".STSBDevScorer") and cfg.optimized_metric == "test/sts_zh_avg"
    cfg = compose_config([], tmp_path)
    assert cfg.dev._target_.endswith(".STSBDevScorer") and cfg.optimized_metric == "val/stsb_spearman"


def test_a_run_on_the_chinese_dev_set_selects_and_reports_on_it(tiny_overrides, tmp_path):
    out = tmp_path / "run"
    cfg = compose_config([*tiny_overrides, "dev=stsb_zh", "trainer.max_steps=2", "eval=sts_zh",
                          "eval.sts_zh.tasks=[STS-B]", "eval.sts_zh.max_pairs=50", "save_model=false",
                          "callbacks.sts_dev.every_n_steps=1", "~callbacks.checkpoint"], out)
    metrics, objects = train(cfg)
    results = json.loads((out / "results.json").read_text())
    assert set(results["metrics"]) == {"test/sts_zh_stsb", "test/sts_zh_avg", "val/stsb_zh_spearman", "val/align",
                                       "val/uniform"}
    assert optimized_value(cfg.optimized_metric, metrics, objects) == results["metrics"]["val/stsb_zh_spearman"]
    dev = objects["dev_callback"]
    assert results["dev_best"] == {"stsb_zh_spearman": dev.best, "step": dev.best_step}
    assert dev.saved_best() == out / "best_encoder"  # the folder the evaluated encoder was loaded from
    assert objects["encoder"] is not objects["module"].encoder
    history = [json.loads(line) for line in (out / "dev_history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history] == [0, 1, 2] and all("stsb_zh_spearman" in h for h in history)
    assert set(results["before_after"]["start"]) >= {"val/stsb_zh_spearman", "val/align", "val/uniform"}
