"""Run the configured evaluators on an encoder; flatten, print and save the scores."""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from sentemb.contracts import Evaluator, check_contract
from sentemb.evaluation.encode_cache import CachedEncode

log = logging.getLogger(__name__)

STS_METRIC_NAMES = {"STS12": "sts12", "STS13": "sts13", "STS14": "sts14", "STS15": "sts15", "STS16": "sts16",
                    "STSBenchmark": "stsb", "SICKRelatedness": "sickr", "avg": "sts_avg"}


def run_evaluators(encoder, evaluators: Mapping[str, Evaluator], batch_size: int = 128, cache: CachedEncode | None = None,
                   prefetch: Iterable[Any] = ()) -> dict[str, dict[str, float]]:
    """{name: evaluator} -> {name: {score: value}}; each evaluator is called with one shared memoising encode.

    Each evaluator must meet `sentemb.contracts.Evaluator` (checked first). The `.sentences` of every
    evaluator (and of the objects in `prefetch`, e.g. the STS-B dev scorer) are
    encoded first in one call, so a sentence in several tasks is encoded once; pass `cache` to reuse the
    embeddings after this call.
    """
    for name, evaluator in evaluators.items():
        check_contract(evaluator, Evaluator, f"eval.{name}")
    cache = cache if cache is not None else CachedEncode(encoder, batch_size)
    wanted = [s for ev in (*evaluators.values(), *prefetch) for s in ev.sentences]
    if wanted:
        log.info("encoding %d unique sentences for %s", len(dict.fromkeys(wanted)), ", ".join(evaluators))
        cache.prefetch(wanted)
    results = {}
    for name, evaluator in evaluators.items():
        start, encoding = time.perf_counter(), cache.timings["encode"]
        results[name] = evaluator(cache)
        seconds = time.perf_counter() - start - (cache.timings["encode"] - encoding)
        cache.timings[name] = round(seconds, 1)
        log.info("evaluated %s in %.1f s (+ encoding)", name, seconds)
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
    """A markdown table of STS scores (columns in the order of STS_METRIC_NAMES)."""
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
