"""Score ranges of the scored pair files (sentemb.data.scores) and their defaults on the real data."""

import math

import pytest
from omegaconf import OmegaConf

from sentemb.data.scores import BINARY, SICK_RANGE, STS_RANGE, ScoreCheck, ScoreRange, as_score_range
from sentemb.data.zh_readers import ZH_SCORE_RANGES, ZH_TASKS, read_zh_pairs, zh_task_path


def test_ranges_describe_themselves_and_contain():
    assert STS_RANGE.describe() == "[0, 5]" and SICK_RANGE.describe() == "[1, 5]"
    assert BINARY.describe() == "{0, 1}" and ScoreRange(0, 20, integers=True).describe() == "[0, 20] (whole numbers)"
    assert 0.0 in STS_RANGE and 5.0 in STS_RANGE and 5.01 not in STS_RANGE and math.nan not in STS_RANGE
    assert 1.0 in BINARY and 0.5 not in BINARY and 0.9 not in SICK_RANGE


def test_config_values_become_ranges():
    assert as_score_range(OmegaConf.create({"r": [0, 5]}).r) == STS_RANGE
    assert as_score_range(None) is None and as_score_range(BINARY) is BINARY
    assert 1e9 in as_score_range([-math.inf, math.inf])  # no bounds, still finite only
    for bad in ([5, 0], "05", [1], [0, "x"], 3):
        with pytest.raises(ValueError, match=r"data.score_range must be \[low, high\]"):
            as_score_range(bad)


def test_check_refuses_or_drops(tmp_path):
    check = ScoreCheck(tmp_path / "f.tsv", STS_RANGE)
    assert check.parse(1, "4.2", "") == 4.2
    for text in ("inf", "nan", "-1", "5.5", "", "x"):
        with pytest.raises(ValueError, match=r"f\.tsv:7: expected a numeric score in \[0, 5\]"):
            check.parse(7, text, text)
    drop = ScoreCheck(tmp_path / "f.tsv", None, "drop")
    assert [drop.parse(i, t, t) for i, t in enumerate(["1e3", "inf", "x", "-2"], 1)] == [1000.0, None, None, -2.0]
    assert drop.report() == 2 and drop.first_dropped == 2


def test_real_chinese_sets_fit_their_documented_ranges(shared_data_dir):
    for task in ZH_TASKS:
        path = zh_task_path(shared_data_dir, task, "test")
        assert read_zh_pairs(path).dropped == 0
        assert read_zh_pairs(path, score_range=ZH_SCORE_RANGES[task]).scores.max() == (5 if task == "STS-B" else 1)
