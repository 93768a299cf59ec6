"""data=stc_texts: the clustering sets' texts without labels, as unsupervised training data."""

from __future__ import annotations

from pathlib import Path

import pytest

from conftest import compose_config
from sentemb.data.stc_texts import read_clustering_texts
from sentemb.evaluation.clustering import ClusteringEvaluator
from sentemb.train import train


def fake_stc(root: Path) -> Path:
    folder = root / "en" / "stc"
    folder.mkdir(parents=True)
    for name, n in (("StackOverflow", 12), ("Biomedical", 10), ("SearchSnippets", 8)):
        (folder / f"{name}.txt").write_text("".join(f"{name} question number {i} about  topic {i % 3}\n"
                                                    for i in range(n)))
        (folder / f"{name}_gnd.txt").write_text("".join(f"{i % 3 + 1}\n" for i in range(n)))
    return root


def test_reads_texts_without_labels(tmp_path):
    root = fake_stc(tmp_path)
    texts = read_clustering_texts(root)
    assert len(texts) == 30 and texts[0] == "StackOverflow question number 0 about topic 0"  # whitespace normalised
    assert read_clustering_texts(root, ["Biomedical"]) == [t for t in texts if t.startswith("Biomedical")]
    with pytest.raises(ValueError, match="unknown"):
        read_clustering_texts(root, ["Tweets"])


def test_subset_is_the_one_the_clustering_evaluator_scores(tmp_path):
    root = fake_stc(tmp_path)
    trained = read_clustering_texts(root, max_texts=5)
    scored = ClusteringEvaluator(root, n_seeds=1, max_texts=5).sentences
    assert len(trained) == 15 and trained == scored


def test_fast_dev_run(tiny_overrides, tmp_path):
    root = fake_stc(tmp_path / "data")
    overrides = [o for o in tiny_overrides if not o.startswith(("data=", "data.path="))]
    cfg = compose_config([*overrides, "data=stc_texts", f"data.data_dir={root}", "data.max_texts=6",
                          "trainer.fast_dev_run=true"], tmp_path / "run")
    assert cfg.data.sets == ["StackOverflow", "Biomedical", "SearchSnippets"]
    train(cfg)
