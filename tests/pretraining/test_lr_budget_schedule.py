"""Warm-up then linear/cosine decay over the step or time budget."""

from __future__ import annotations

import math

import pytest

from sentemb.pretrain import max_time_seconds
from sentemb.pretraining.schedule import BudgetSchedule, budget_progress


def test_linear_and_cosine_over_steps():
    progress = budget_progress(100, None, lambda: None)
    linear = BudgetSchedule("linear", 10, 0.0, progress)
    assert linear(0) == pytest.approx(0.1 * 1.0) and linear(9) == pytest.approx(1.0 * 0.91)
    assert linear(50) == pytest.approx(0.5) and linear(100) == 0.0 and linear(150) == 0.0
    cosine = BudgetSchedule("cosine", 0, 0.1, progress)
    assert cosine(0) == 1.0 and cosine(50) == pytest.approx(0.55) and cosine(100) == pytest.approx(0.1)
    assert BudgetSchedule("constant", 0, 0.0, progress)(99) == 1.0


def test_progress_follows_elapsed_time_when_time_bounds_the_run():
    elapsed = {"s": 0.0}
    progress = budget_progress(-1, 600.0, lambda: elapsed["s"])
    schedule = BudgetSchedule("linear", 0, 0.0, progress)
    elapsed["s"] = 150.0
    assert schedule(10) == pytest.approx(0.75)
    elapsed["s"] = 900.0
    assert schedule(20) == 0.0
    both = budget_progress(100, 600.0, lambda: 60.0)  # the larger share wins
    assert both(50) == 0.5 and both(5) == pytest.approx(0.1)


def test_settings_are_checked_and_max_time_parsed():
    with pytest.raises(ValueError, match="optim.schedule"):
        BudgetSchedule("step", 0, 0.0, lambda s: 0.0)
    with pytest.raises(ValueError, match="min_lr_ratio"):
        BudgetSchedule("linear", 0, 2.0, lambda s: 0.0)
    assert max_time_seconds("00:01:00:30") == 3630 and max_time_seconds({"minutes": 2}) == 120
    assert max_time_seconds(None) is None and math.isclose(max_time_seconds({"seconds": 1.5}), 1.5)
