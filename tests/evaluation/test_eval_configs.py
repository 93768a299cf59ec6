"""The new eval options compose and merge for both entry points; the cache gives the encoder's embeddings."""

from __future__ import annotations

from pathlib import Path

import numpy as np
from hydra import compose, initialize_config_dir
from hydra.utils import instantiate

from conftest import CONF_DIR, SENTENCES, compose_config

ALL = "eval=[sts,clustering,intent,sts_zh,align_uniform]"
KEYS = {"sts", "clustering", "intent", "sts_zh", "align_uniform"}


def test_all_eval_options_merge_in_run_and_evaluate(tmp_path: Path, shared_data_dir: Path) -> None:
    cfg = compose_config([ALL], tmp_path)
    assert set(cfg.eval) == KEYS
    with initialize_config_dir(config_dir=str(CONF_DIR), version_base="1.3"):
        ev = compose(config_name="evaluate", overrides=[ALL, "model_path=/x"])
    assert set(ev.eval) == KEYS
    evaluators = {k: instantiate(v) for k, v in cfg.eval.items() if k != "sts"}  # reads the real files
    assert len(evaluators["clustering"].data["StackOverflow"]) == 20000
    assert len(evaluators["clustering"].data["SearchSnippets"]) == 12340
    assert {n: len(tr.classes) for n, (tr, _) in evaluators["intent"].data.items()} == {
        "banking77": 77, "clinc150": 150, "snips": 7}
    assert "oos" not in evaluators["intent"].data["clinc150"][1].labels
    assert {t: len(p) for t, p in evaluators["sts_zh"].data.items()} == {
        "STS-B": 1361, "ATEC": 20000, "BQ": 10000, "LCQMC": 12500, "PAWSX": 2000}


def test_cached_encode_matches_the_encoder(tiny_backbone_factory) -> None:
    from sentemb.encoder.sentence_encoder import SentenceEncoder
    from sentemb.evaluation.encode_cache import CachedEncode

    encoder = SentenceEncoder(tiny_backbone_factory(), pooling="mean")
    sentences = SENTENCES + ["一个女孩在梳头。", "short", SENTENCES[0]]
    cache = CachedEncode(encoder, batch_size=4, progress_min=1)
    np.testing.assert_allclose(cache(sentences), encoder.encode(sentences, batch_size=64), atol=1e-5)
    assert cache.encoded == len(set(sentences))
