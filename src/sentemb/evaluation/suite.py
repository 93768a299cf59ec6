"""Run the configured evaluators on an encoder; flatten, print and save the scores."""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from pathlib import Path
from typing import Any

log = logging.getLogger(__name__)

STS_METRIC_NAMES = {"STS12": "sts12", "STS13": "sts13", "STS14": "sts14", "STS15": "sts15", "STS16": "sts16",
                    "STSBenchmark": "stsb", "SICKRelatedness": "sickr", "avg": "sts_avg"}


def run_evaluators(encoder, evaluators: Mapping[str, Any], batch_size: int = 128) -> dict[str, dict[str, float]]:
    """{name: evaluator} -> {name: {score: value}}; each evaluator is called with an encode function."""

    def encode(sentences: list[str]):
        return encoder.encode(sentences, batch_size=batch_size, show_progress_bar=len(sentences) > 5000)

    results = {}
    for name, evaluator in evaluators.items():
        log.info("evaluating %s", name)
        results[name] = evaluator(encode)
    return results


def flat_metrics(results: Mapping[str, Mapping[str, float]], prefix: str = "test") -> dict[str, float]:
    """Stable metric names: test/sts12 ... test/sts_avg, test/align, test/uniform, test/<task>_<score>."""
    flat = {}
    for name, scores in results.items():
        for key, value in scores.items():
            if name == "sts":
                flat[f"{prefix}/{STS_METRIC_NAMES.get(key, key.lower())}"] = value
            elif name == "align_uniform":
                flat[f"{prefix}/{key}"] = value
            else:
                flat[f"{prefix}/{name}_{key}"] = value
    return flat


def sts_table(scores: Mapping[str, float]) -> str:
    """A markdown table of STS scores (columns in SimCSE's order)."""
    keys = [k for k in STS_METRIC_NAMES if k in scores]
    head = "| " + " | ".join(STS_METRIC_NAMES[k] for k in keys) + " |"
    rule = "|" + "---|" * len(keys)
    row = "| " + " | ".join(f"{scores[k]:.2f}" for k in keys) + " |"
    return "\n".join((head, rule, row))


def write_results(path: Path, payload: dict) -> None:
    """Write results.json atomically (a crash never leaves a half-written file under the final name)."""
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n")
    tmp.replace(path)
