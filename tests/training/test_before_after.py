"""Issue 25: every training run scores its starting encoder and records start -> trained with the change; the
STS-B dev curve starts at step 0 and has several points in a short run."""

from __future__ import annotations

import json

import pytest

from conftest import compose_config
from sentemb.train import train
from sentemb.training.before_after import before_after_table


def test_table_has_every_common_metric_with_its_change():
    table, change = before_after_table({"val/stsb_spearman": 80.0, "test/sts_avg": 70.0, "val/align": 0.3},
                                       {"val/stsb_spearman": 81.5, "test/sts_avg": 69.0, "val/align": 0.25,
                                        "test/other": 1.0})
    assert change == pytest.approx({"val/stsb_spearman": 1.5, "test/sts_avg": -1.0, "val/align": -0.05})
    assert "| val/stsb_spearman | 80.00 | 81.50 | +1.50 |" in table
    assert "| test/sts_avg | 70.00 | 69.00 | -1.00 |" in table
    assert "| val/align (lower is better) | 0.300 | 0.250 | -0.050 |" in table
    assert "test/other" not in table


@pytest.mark.parametrize("suite", [True, False])
def test_run_records_start_and_trained_scores(suite, tiny_overrides, tmp_path, capsys):
    out = tmp_path / "out"
    cfg = compose_config([*tiny_overrides, "trainer.max_steps=10", "trainer.max_epochs=-1", "eval=align_uniform", "save_model=false",
                          "callbacks.checkpoint.every_n_train_steps=100", f"start_scores.suite={suite}"], out)
    metrics, objects = train(cfg)
    results = json.loads((out / "results.json").read_text())
    assert objects["results"]["before_after"] == results["before_after"]
    assert {k: metrics[k] for k in results["metrics"]} == results["metrics"]  # train returns what it wrote
    before = results["before_after"]
    assert before["scope"] == ("suite" if suite else "dev")
    keys = {"val/stsb_spearman", "val/align", "val/uniform"} | ({"test/align", "test/uniform"} if suite else set())
    assert set(before["start"]) == set(before["trained"]) == set(before["change"]) == keys
    for key in keys:
        assert before["trained"][key] == results["metrics"][key]
        assert before["change"][key] == pytest.approx(before["trained"][key] - before["start"][key])
    assert before["start"] != before["trained"]  # 10 steps of training moved the random tiny model
    printed = capsys.readouterr().out
    assert "before -> after training" in printed and "| val/stsb_spearman |" in printed
    steps = [json.loads(line)["step"] for line in (out / "dev_history.jsonl").read_text().splitlines()]
    assert steps == [0, 2, 4, 6, 8, 10]  # step 0 and min_evaluations=5 points in a 10-step run
    start_point = json.loads((out / "dev_history.jsonl").read_text().splitlines()[0])
    assert start_point["best"] is False  # the start is a reference, not a candidate for the best encoder
    assert start_point["stsb_spearman"] == pytest.approx(before["start"]["val/stsb_spearman"], abs=1e-6)


def test_start_scores_off(tiny_overrides, tmp_path):
    out = tmp_path / "out"
    train(compose_config([*tiny_overrides, "trainer.max_steps=2", "eval=align_uniform", "save_model=false",
                          "callbacks=none", "start_scores.enabled=false"], out))
    assert "before_after" not in json.loads((out / "results.json").read_text())
