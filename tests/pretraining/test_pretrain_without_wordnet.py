"""Issue 25: the offline pretraining recipe runs on a machine without WordNet (a system package that
`make install` cannot provide): the source is skipped with one warning and the run trains on the rest."""

from __future__ import annotations

import logging

from pretrain_helpers import tiny_pretrain_overrides

from conftest import SENTENCES, compose_config
from sentemb.pretrain import pretrain


def test_recipe_with_a_short_budget_and_no_wordnet(tmp_path, monkeypatch, caplog):
    monkeypatch.setenv("SENTEMB_WORDNET_DIR", str(tmp_path / "no_wordnet"))  # as on a fresh machine
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(f"{s} ({i})" for i in range(6) for s in SENTENCES) + "\n")
    overrides = [*tiny_pretrain_overrides(corpus, tmp_path), "experiment=pretrain_mini_offline",
                 "corpus.sources=[wordnet]", "time_budget_minutes=1", "time_reserve_seconds=20",
                 "trainer.max_steps=3", f"export_dir={tmp_path / 'models' / 'mini_offline'}"]
    cfg = compose_config(overrides, tmp_path / "run", config_name="pretrain")
    assert cfg.corpus.files and cfg.time_budget_minutes == 1
    with caplog.at_level(logging.WARNING):
        results = pretrain(cfg)
    skipped = [r.getMessage() for r in caplog.records if "corpus source 'wordnet' skipped" in r.getMessage()]
    assert len(skipped) == 1 and "make install-wordnet" in skipped[0]
    assert results["corpus"]["sources"]["wordnet"] == {"skipped": "not installed"}
    assert results["global_step"] == 3 and (tmp_path / "models" / "mini_offline" / "config.json").is_file()
