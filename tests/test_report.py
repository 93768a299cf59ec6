"""Tests of `python -m sentemb.report` on run folders fabricated here (a two-run sweep)."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib.image as mpimg
import pytest

from sentemb.report import find_runs, main, markdown_tables


def _fake_run(folder: Path, temperature: float, stsb: float, align: float, acc: float) -> None:
    (folder / ".hydra").mkdir(parents=True)
    (folder / ".hydra" / "overrides.yaml").write_text(
        f"- backbone=tiny_random\n- loss.temperature={temperature}\n- trainer.max_steps=2\n")
    metrics = {"val/stsb_spearman": stsb, "test/sts_avg": stsb - 5, "test/align": align, "test/uniform": -2.0,
               "test/clustering_avg_acc": acc, "test/clustering_stackoverflow_acc": acc,
               "test/clustering_stackoverflow_acc_std": 1.5, "test/intent_avg_full": 80.0 + temperature,
               "test/sts_zh_avg": 20.0}
    (folder / "results.json").write_text(json.dumps({"metrics": metrics, "results": {}}))
    history = [{"step": s, "stsb_spearman": stsb - 10 + s, "align": align + 0.01 * s, "uniform": -2 - 0.1 * s}
               for s in (1, 2, 3)]
    (folder / "dev_history.jsonl").write_text("".join(json.dumps(h) + "\n" for h in history))


@pytest.fixture
def sweep(tmp_path: Path) -> Path:
    root = tmp_path / "multirun" / "2026-01-01_00-00-00"
    _fake_run(root / "0_loss.temperature=0.05", 0.05, stsb=80.0, align=0.20, acc=40.0)
    _fake_run(root / "1_loss.temperature=0.1", 0.1, stsb=78.0, align=0.25, acc=45.0)
    (root / "multirun.yaml").write_text("hydra: {}\n")
    return root


def test_report_on_a_sweep_writes_table_and_pngs(sweep: Path, capsys) -> None:
    files = main([str(sweep)])
    text = (sweep / "report.md").read_text()
    assert files["markdown"] == sweep / "report.md" and "report.md" in capsys.readouterr().out
    assert "| loss.temperature=0.05 | **80.00** |" in text  # best dev Spearman (higher is better)
    assert "| loss.temperature=0.1 | 78.00 |" in text
    align_row = next(line for line in text.splitlines() if line.startswith("| loss.temperature=0.05 | **0.2000**"))
    assert align_row  # alignment: lower is better
    assert "**45.00 ± 1.50**" in text  # std shown beside its mean; clustering header without prefix
    assert "| run | avg_acc | stackoverflow_acc |" in text
    for name in ("scores", "align_uniform", "stsb_dev", "sweep"):
        image = mpimg.imread(files[name])
        assert files[name].suffix == ".png" and image.ndim == 3 and image.shape[0] > 100
        assert f"]({files[name].name})" in text


def test_report_labels_and_errors(sweep: Path, tmp_path: Path) -> None:
    runs = find_runs([sweep / "0_loss.temperature=0.05" / "results.json", sweep / "1_loss.temperature=0.1"])
    assert [r.label for r in runs] == ["loss.temperature=0.05", "loss.temperature=0.1"]
    single = find_runs([sweep / "0_loss.temperature=0.05"])
    assert single[0].label == "0_loss.temperature=0.05"  # nothing varies: the folder name
    assert "**" not in markdown_tables(single)  # no "best" among one run
    with pytest.raises(FileNotFoundError, match="no such run"):
        find_runs([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="no results.json"):
        find_runs([tmp_path / "empty"])
    out = main([str(sweep / "0_loss.temperature=0.05"), str(sweep / "1_loss.temperature=0.1"),
                "--out", str(tmp_path / "rep")])
    assert out["markdown"].is_file() and out["markdown"].parent == tmp_path / "rep"


def test_aggregate_seeds_and_one_table(tmp_path: Path) -> None:
    """Runs that differ by seed -> one row: mean ± sample std (n - 1); the table bolds the best per column."""
    from sentemb.report import aggregate_seeds, markdown_table

    for seed, stsb in ((1, 70.0), (2, 74.0)):
        folder = tmp_path / f"simcse_seed{seed}"
        folder.mkdir()
        (folder / "results.json").write_text(json.dumps({"config_name": "simcse", "seed": seed, "metrics": {
            "test/stsb": stsb, "test/align": 0.2, "test/clustering_avg_acc": 50.0,
            "test/clustering_avg_acc_std": 3.0}}))
    folder = tmp_path / "vascl_seed1"
    folder.mkdir()
    (folder / "results.json").write_text(json.dumps({"config_name": "vascl", "seed": 1, "metrics": {
        "test/stsb": 75.0, "test/align": 0.3, "test/clustering_avg_acc": 40.0, "test/clustering_avg_acc_std": 2.0}}))
    rows = aggregate_seeds(find_runs([tmp_path]))
    assert [r.label for r in rows] == ["simcse", "vascl"]
    simcse, vascl = rows
    assert simcse.metrics["test/stsb"] == 72.0 and simcse.metrics["test/stsb_std"] == pytest.approx(2 ** 1.5)
    assert simcse.metrics["test/clustering_avg_acc_std"] == 0.0  # the spread over seeds, not over K-means seeds
    assert vascl.metrics["test/clustering_avg_acc_std"] == 2.0 and simcse.info["seeds"] == [1, 2]
    table = markdown_table(rows, ["test/stsb", "test/align"], ["STS-B", "align"], first_header="method")
    assert table.splitlines()[0] == "| method | STS-B | align |"
    assert "| simcse | 72.00 ± 2.83 | **0.2000 ± 0.0000** |" in table  # alignment: lower is better
    assert "| vascl | **75.00** | 0.3000 |" in table
    with pytest.raises(ValueError, match="headers"):
        markdown_table(rows, ["test/stsb"], ["a", "b"])
