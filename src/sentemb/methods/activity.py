"""Watching terms that can be inert: "a term that never acts is a defect".

Each step, every term that can do nothing reports the share of its units that acted (`ContrastivePairs.activity`
of samplers and losses, `AuxiliaryTerm.activity` of auxiliary objectives). `ActivityMonitor` records those
shares over the run, warns once per term when it has been 0 for `patience` consecutive steps, naming the
setting to change, and summarises the run for results.json (`activity` key).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass

from lightning.pytorch.utilities import rank_zero_warn


@dataclass
class TermActivity:
    """One term's record: `steps_seen` steps reported, `steps_at_zero` of them with activity 0, `total` the
    sum of the shares, `zero_run` the current run of consecutive zero steps, `warned` whether it warned."""

    setting: str
    steps_seen: int = 0
    steps_at_zero: int = 0
    total: float = 0.0
    zero_run: int = 0
    longest_zero_run: int = 0
    warned: bool = False

    def summary(self) -> dict:
        return {"mean": self.total / self.steps_seen if self.steps_seen else None,
                "steps_at_zero": self.steps_at_zero, "steps_seen": self.steps_seen,
                "longest_zero_run": self.longest_zero_run, "never_acted": self.steps_at_zero == self.steps_seen,
                "setting": self.setting}


class ActivityMonitor:
    """Args:
        patience: consecutive steps at activity 0 after which a term is reported inert (once per term).
        warn: how to warn (default: Lightning's rank-zero UserWarning).
    """

    def __init__(self, patience: int = 50, warn: Callable[[str], None] = rank_zero_warn):
        if int(patience) < 1:
            raise ValueError(f"the inert-term patience must be >= 1 step, got {patience}")
        self.patience = int(patience)
        self.warn = warn
        self.terms: dict[str, TermActivity] = {}

    def update(self, name: str, share: float, setting: str) -> None:
        """Record one step's `share` in [0, 1] of term `name`; `setting` names what to change if it is inert."""
        term = self.terms.setdefault(name, TermActivity(setting))
        share = float(share)
        term.steps_seen += 1
        term.total += share
        if share > 0.0:
            term.zero_run = 0
            return
        term.steps_at_zero += 1
        term.zero_run += 1
        term.longest_zero_run = max(term.longest_zero_run, term.zero_run)
        if term.zero_run >= self.patience and not term.warned:
            term.warned = True
            self.warn(f"the term '{name}' has done nothing for {term.zero_run} consecutive steps (train/{name}_active"
                      f" = 0: no unit of it acted, so it adds no gradient); change {setting}")

    def summary(self) -> dict[str, dict]:
        """name -> {mean, steps_at_zero, steps_seen, longest_zero_run, never_acted, setting}."""
        return {name: term.summary() for name, term in sorted(self.terms.items())}

    def state_dict(self) -> dict[str, dict]:
        return {name: asdict(term) for name, term in self.terms.items()}

    def load_state_dict(self, state: dict[str, dict]) -> None:
        self.terms = {name: TermActivity(**fields) for name, fields in state.items()}


def setting_of(name: str) -> str:
    """The settings behind an activity reported through `ContrastivePairs.activity` (e.g. "sampler/hard")."""
    group = name.split("/", 1)[0]
    if group in ("sampler", "loss"):
        return f"the {group}= settings ({group}.*) that make '{name}' act, or pick another {group}"
    return f"the sampler=/loss= settings that make '{name}' act"
