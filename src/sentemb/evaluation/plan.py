"""What a run scores: its eval suite (config group `eval`) and its dev set (group `dev`), built once.

An entry point makes one `EvalPlan` from the config nodes; the start scores, the post-processing corpus
(`postprocess.corpus=target`) and the final evaluation all use its evaluators, which are instantiated on first
use (reading their data files once, and only on the process that evaluates).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import torch
from hydra.utils import instantiate

from sentemb.contracts import Evaluator
from sentemb.errors import SettingError
from sentemb.evaluation.dev_sets import checked_dev

__all__ = ["EvalPlan", "eval_device"]


def eval_device(accelerator: str | None) -> str:
    """"cuda" when the run trains on a GPU (`trainer.accelerator`) and one is present, else "cpu"."""
    return "cuda" if torch.cuda.is_available() and accelerator in ("gpu", "cuda", "auto") else "cpu"


class EvalPlan:
    """`eval_specs`: {name: evaluator config node or None}; `dev_spec`: the dev evaluator's config node (see
    sentemb.evaluation.dev_sets for what it provides); `batch_size`: encoding batch; `device`: where to score."""

    def __init__(self, eval_specs: Mapping[str, Any] | None, dev_spec: Mapping[str, Any] | None, batch_size: int,
                 device: str = "cpu"):
        self.eval_specs, self.dev_spec = eval_specs or {}, dev_spec
        self.batch_size, self.device = int(batch_size), device
        self._evaluators: dict[str, Evaluator] | None = None
        self._dev: Evaluator | None = None

    def evaluators(self) -> dict[str, Evaluator]:
        """{name: evaluator} of the eval suite (entries set to null are left out)."""
        if self._evaluators is None:
            self._evaluators = {name: instantiate(spec) for name, spec in self.eval_specs.items() if spec is not None}
        return self._evaluators

    def dev(self) -> Evaluator:
        """The dev evaluator (checked by `dev_sets.checked_dev`)."""
        if self._dev is None:
            if self.dev_spec is None:
                raise SettingError("dev: no dev set configured (dev=stsb | stsb_zh, conf/dev/)")
            self._dev = checked_dev(instantiate(self.dev_spec), "dev")
        return self._dev
