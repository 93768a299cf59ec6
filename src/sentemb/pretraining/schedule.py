"""Learning-rate schedule for a step or time budget: linear warm-up, then linear or cosine decay.

factor(step) = min(1, (step + 1) / warmup_steps) * shape(progress), with progress in [0, 1] the share of
the budget used: step / max_steps, or elapsed training time / max_time when the run is bounded by time
(the larger of the two when both are set). Decaying on elapsed time, as in "Cramming" (Geiping &
Goldstein, ICML 2023), lets a run that stops at a wall-clock budget still end its schedule near the
minimum learning rate, whatever its step rate turns out to be on the machine.

    linear:   shape(p) = 1 - (1 - min_ratio) * p
    cosine:   shape(p) = min_ratio + (1 - min_ratio) * (1 + cos(pi * p)) / 2
    constant: shape(p) = 1
"""

from __future__ import annotations

import math
from collections.abc import Callable

from sentemb.errors import SettingError

SHAPES = ("linear", "cosine", "constant")


def check_schedule(name: str, warmup_steps: int, min_ratio: float) -> None:
    if name not in SHAPES:
        raise SettingError(f"optim.schedule must be one of {SHAPES}, got {name!r}")
    if int(warmup_steps) < 0:
        raise SettingError(f"optim.warmup_steps must be >= 0, got {warmup_steps}")
    if not 0.0 <= float(min_ratio) <= 1.0:
        raise SettingError(f"optim.min_lr_ratio must be in [0, 1], got {min_ratio}")


def shape(name: str, progress: float, min_ratio: float) -> float:
    p = min(1.0, max(0.0, float(progress)))
    if name == "linear":
        return 1.0 - (1.0 - min_ratio) * p
    if name == "cosine":
        return min_ratio + (1.0 - min_ratio) * 0.5 * (1.0 + math.cos(math.pi * p))
    return 1.0


class BudgetSchedule:
    """Multiplier of the peak learning rate at `step` (for torch's LambdaLR); `progress()` -> [0, 1]."""

    def __init__(self, name: str, warmup_steps: int, min_ratio: float, progress: Callable[[int], float]):
        check_schedule(name, warmup_steps, min_ratio)
        self.name, self.warmup_steps, self.min_ratio = name, int(warmup_steps), float(min_ratio)
        self.progress = progress

    def __call__(self, step: int) -> float:
        warm = 1.0 if self.warmup_steps == 0 else min(1.0, (step + 1) / self.warmup_steps)
        return warm * shape(self.name, self.progress(step), self.min_ratio)


def budget_progress(max_steps: int | None, max_seconds: float | None,
                    elapsed: Callable[[], float | None]) -> Callable[[int], float]:
    """progress(step): the larger of step / max_steps and elapsed() / max_seconds (each when set); 0 when
    neither bounds the run (then only the warm-up shapes the rate)."""
    def progress(step: int) -> float:
        shares = [0.0]
        if max_steps and max_steps > 0:
            shares.append(step / max_steps)
        if max_seconds:
            seconds = elapsed()
            if seconds is not None:
                shares.append(seconds / max_seconds)
        return min(1.0, max(shares))

    return progress
