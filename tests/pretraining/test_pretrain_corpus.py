"""The pretraining corpus: evaluation sentences dropped, deduplicated, a seeded held-out split; WordNet glosses."""

from __future__ import annotations

from pathlib import Path

import pytest

from sentemb.pretraining.corpus import build_corpus, evaluation_texts, normalise
from sentemb.pretraining.wordnet_text import gloss_texts, read_wordnet_texts


def test_evaluation_sentences_are_dropped_and_the_split_is_seeded(shared_data_dir, tmp_path):
    sts_test = evaluation_texts("sts", shared_data_dir)
    mine = tmp_path / "mine.txt"
    mine.write_text(f"{sts_test[0].upper()}\nA sentence of my own domain.\n  a SENTENCE of my own domain.\nAnother.\n")
    corpus = build_corpus(shared_data_dir, sources=["stsb_train", "sick_train"], files=[str(mine)],
                          exclude=["sts"], heldout_fraction=0.05, seed=1)
    banned = {normalise(s) for s in sts_test}
    lines = corpus.train + corpus.heldout
    assert not banned & {normalise(s) for s in lines}
    assert len({normalise(s) for s in lines}) == len(lines)  # deduplicated
    stats = corpus.stats["sources"]
    assert stats["stsb_train"]["dropped_as_evaluation_text"] > 100  # STS-B reuses STS12-16 sentences
    assert stats[str(mine)]["read"] == 4 and stats[str(mine)]["kept"] == 2  # the STS line and the duplicate go
    alone = build_corpus(shared_data_dir, sources=[], files=[str(mine)], exclude=["sts"], seed=1)
    assert alone.stats["sources"][str(mine)] == {"read": 4, "kept": 2, "dropped_as_evaluation_text": 1}
    assert sorted(alone.train + alone.heldout) == ["A sentence of my own domain.", "Another."]
    assert abs(len(corpus.heldout) - 0.05 * len(lines)) <= 1
    again = build_corpus(shared_data_dir, sources=["stsb_train", "sick_train"], files=[str(mine)], exclude=["sts"],
                         heldout_fraction=0.05, seed=1)
    assert again.heldout == corpus.heldout and again.train == corpus.train


def test_unknown_source_and_family_are_errors(shared_data_dir):
    with pytest.raises(ValueError, match="corpus.sources"):
        build_corpus(shared_data_dir, sources=["books"], exclude=[])
    with pytest.raises(ValueError, match="corpus.exclude"):
        build_corpus(shared_data_dir, sources=["stsb_train"], exclude=["glue"])


def test_gloss_texts():
    assert gloss_texts('a young person of either sex; "she writes books for children"; "they\'re just kids" ') == [
        "a young person of either sex", "she writes books for children", "they're just kids"]


def test_wordnet_texts(tmp_path):
    with pytest.raises(FileNotFoundError, match="install-wordnet"):
        read_wordnet_texts(tmp_path)
    if not Path("/usr/share/wordnet/data.noun").is_file():
        pytest.skip("WordNet is not installed (make install-wordnet)")
    texts = read_wordnet_texts("/usr/share/wordnet")
    assert len(texts) > 100_000 and "a young person of either sex" in texts


def test_missing_wordnet_is_skipped_with_one_warning(tmp_path, monkeypatch, caplog):
    """A fresh machine (no /usr/share/wordnet, no root to install it): the corpus is built without WordNet."""
    import logging

    from sentemb.pretraining.corpus import build_corpus

    monkeypatch.setenv("SENTEMB_WORDNET_DIR", str(tmp_path / "no_wordnet"))
    text = tmp_path / "corpus.txt"
    text.write_text("".join(f"line number {i} of the corpus\n" for i in range(20)))
    with caplog.at_level(logging.WARNING):
        corpus = build_corpus(tmp_path, sources=["wordnet"], files=[str(text)], exclude=[], heldout_fraction=0.1)
    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 1 and "corpus source 'wordnet' skipped" in warnings[0]
    assert "no_wordnet" in warnings[0] and "make install-wordnet" in warnings[0]
    assert corpus.stats["sources"]["wordnet"] == {"skipped": "not installed"}
    assert len(corpus.train) + len(corpus.heldout) == 20
