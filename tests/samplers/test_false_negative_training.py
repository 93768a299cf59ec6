"""sampler=false_negative in training: fast_dev_run on the tiny backbone, flagged counts logged per step."""

from __future__ import annotations

import pytest

from conftest import compose_config
from sentemb.train import train


@pytest.mark.parametrize("extra", [
    [],                                                        # eliminate exact duplicates (the corpus repeats)
    ["sampler.mode=attract", "sampler.top_k=1"],
    ["sampler.base=hard", "sampler.threshold=0.9", "sampler.dedupe=true"],
])
def test_fast_dev_run_logs_flagged_negatives(extra, tiny_overrides, tmp_path, monkeypatch):
    from sentemb.methods.contrastive import ContrastiveModule

    logged = {}
    original = ContrastiveModule.log
    monkeypatch.setattr(ContrastiveModule, "log",
                        lambda self, name, value, *a, **k: logged.setdefault(name, float(getattr(value, "detach", lambda: value)()))
                        or original(self, name, value, *a, **k))
    cfg = compose_config([*tiny_overrides, "data.batch_size=24", "sampler=false_negative", *extra,
                          "trainer.fast_dev_run=true", "callbacks=none"], tmp_path / "run")
    train(cfg)
    assert logged["train/false_negatives"] > 0 and 0 < logged["train/false_negative_rate"] <= 1
    assert ("train/duplicates_removed" in logged) == ("sampler.dedupe=true" in extra)


def test_nli_triplets_with_false_negative_sampler(tiny_overrides, tmp_path):
    from conftest import SENTENCES

    path = tmp_path / "triplets.csv"
    n = len(SENTENCES)
    path.write_text("sent0,sent1,hard_neg\n" + "".join(
        f'"{SENTENCES[i]}","{SENTENCES[(i + 1) % n]}","{SENTENCES[(i + 2) % n]}"\n' for i in range(n)))
    overrides = [o for o in tiny_overrides if not o.startswith(("data=", "data.path="))]
    cfg = compose_config([*overrides, "model=simcse_sup", "data=triplet_csv", f"data.path={path}",
                          "sampler=false_negative", "sampler.top_k=1", "trainer.fast_dev_run=true",
                          "callbacks=none"], tmp_path / "run")
    train(cfg)
