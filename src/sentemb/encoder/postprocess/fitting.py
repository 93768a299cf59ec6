"""Fit the configured post-processing transform (conf/postprocess/) on a corpus and attach it to an encoder.

`postprocess.corpus` names the fitting sentences, one name or a list:
    target   the sentences of the configured eval tasks (every evaluator with a `sentences` attribute, e.g.
             STS12-16, STS-B test, SICK-R test and the STS-B dev sentences of align_uniform): the papers'
             "target" setting. One transform is fitted on their union (the BERT-whitening reference code fits
             one per task; see experiments/posthoc_baselines/README.md).
    wiki     <data_dir>/en/wiki1m_head.txt (the first 11,914 lines of wiki1m; ../shared/data/SOURCES.md).
    nli      <data_dir>/en/SNLI/s{1,2}.{dev,test} (the SNLI sentences shipped here; the papers' "NLI" setting
             uses the SNLI+MNLI training sentences, which are not shipped).
    a path   any UTF-8 text file, one sentence a line.
Sentences are de-duplicated; `postprocess.max_sentences` keeps a seeded random subset.
"""

from __future__ import annotations

import logging
import random
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from hydra.utils import instantiate

from sentemb.data.text_reader import read_text_lines
from sentemb.errors import SettingError

log = logging.getLogger(__name__)

NAMED_CORPORA = {
    "wiki": ("en/wiki1m_head.txt",),
    "nli": ("en/SNLI/s1.dev", "en/SNLI/s2.dev", "en/SNLI/s1.test", "en/SNLI/s2.test"),
}
FAST_DEV_RUN_SENTENCES = 64
FAST_DEV_RUN_FLOW_STEPS = 2


def corpus_sentences(corpus: str | Sequence[str], data_dir: str | Path,
                     evaluators: Callable[[], Mapping[str, Any]] | None = None,
                     max_sentences: int | None = None, seed: int = 0) -> list[str]:
    """The de-duplicated fitting sentences of `corpus` (see the module docstring), at most `max_sentences`.
    `evaluators` gives the run's configured evaluators ({name: evaluator}, called only for `target`)."""
    names = [corpus] if isinstance(corpus, str) else list(corpus)
    if not names:
        raise SettingError("postprocess.corpus is empty: use target, wiki, nli or a text file path")
    sentences: list[str] = []
    for name in names:
        if name == "target":
            sentences.extend(target_sentences((evaluators or dict)()))
        elif name in NAMED_CORPORA:
            for rel in NAMED_CORPORA[name]:
                sentences.extend(read_text_lines(Path(data_dir) / rel).sentences)
        else:
            sentences.extend(read_text_lines(Path(name).expanduser()).sentences)
    unique = list(dict.fromkeys(" ".join(s.split()) for s in sentences))
    if max_sentences is not None and len(unique) > int(max_sentences):
        unique = random.Random(seed).sample(unique, int(max_sentences))
    return unique


def target_sentences(evaluators: Mapping[str, Any]) -> list[str]:
    """Every sentence the evaluators score (those exposing `.sentences`)."""
    sentences = [s for ev in evaluators.values() for s in ev.sentences]
    if not sentences:
        raise SettingError("postprocess.corpus=target needs an eval task with sentences (e.g. eval=sts); the "
                           "configured eval has none")
    return sentences


def fit_postprocess(encoder, postprocess: Mapping[str, Any] | None, data_dir: str | Path, *,
                    evaluators: Callable[[], Mapping[str, Any]] | None = None, seed: int = 0,
                    fast_dev_run: bool = False) -> dict[str, Any]:
    """Fit `postprocess` (the `postprocess` config node: `transform`, `corpus`, `max_sentences`, `batch_size`,
    `name`) on its corpus with `encoder` and set `encoder.postprocess`; returns what was done (for results.json),
    {} when there is no transform. `evaluators`: the run's evaluators, for `corpus=target`. In a fast_dev_run the
    corpus and flow training are cut to a few sentences and steps. A transform (Whitening, Flow) offers
    fit(embeddings (N, D)), output_dim, cap_steps(steps) and fit_info() -> dict."""
    pp = postprocess
    if not pp or pp.get("transform") is None:
        return {}
    max_sentences = pp.get("max_sentences")
    if fast_dev_run:
        max_sentences = min(max_sentences or FAST_DEV_RUN_SENTENCES, FAST_DEV_RUN_SENTENCES)
    corpus = pp["corpus"] if isinstance(pp["corpus"], str) else list(pp["corpus"])
    sentences = corpus_sentences(corpus, data_dir, evaluators, max_sentences, seed)
    if getattr(encoder, "postprocess", None) is not None:
        log.warning("replacing the encoder's saved post-processing (%s) with postprocess=%s",
                    type(encoder.postprocess).__name__, pp.get("name"))
    encoder.postprocess = None
    start = time.perf_counter()
    embeddings = encoder.encode(sentences, batch_size=pp.get("batch_size", 128), convert_to_numpy=False,
                                show_progress_bar=len(sentences) > 5000)
    encode_seconds = time.perf_counter() - start
    transform = instantiate(pp["transform"])
    if fast_dev_run:
        transform.cap_steps(FAST_DEV_RUN_FLOW_STEPS)
    start = time.perf_counter()
    transform.fit(embeddings)
    encoder.postprocess = transform.to(encoder.device).eval().requires_grad_(False)
    info = {"name": pp.get("name"), "corpus": corpus, "sentences": len(sentences),
            "input_dim": int(embeddings.shape[1]), "output_dim": transform.output_dim,
            "encode_seconds": round(encode_seconds, 1), "fit_seconds": round(time.perf_counter() - start, 1)}
    info.update(transform.fit_info())
    log.info("postprocess fitted: %s", info)
    return {"postprocess": info}
