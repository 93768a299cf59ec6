"""Tests of the plots: the alignment/uniformity PNG opens, histories are read in step order."""

from __future__ import annotations

from pathlib import Path

import matplotlib.image as mpimg
import pytest

from sentemb.evaluation.plots import plot_align_uniform, read_history


def test_read_history_sorts_and_keeps_the_last_record_of_a_step(tmp_path: Path) -> None:
    path = tmp_path / "dev_history.jsonl"
    path.write_text('{"step": 2, "align": 0.3, "uniform": -2}\n\n{"step": 1, "align": 0.1, "uniform": -1}\n'
                    '{"step": 2, "align": 0.2, "uniform": -3}\n')
    assert [(h["step"], h["align"]) for h in read_history(path)] == [(1, 0.1), (2, 0.2)]
    path.write_text('{"step": 1}\nnot json\n')
    with pytest.raises(ValueError, match=r"dev_history.jsonl:2"):
        read_history(path)


def test_plot_align_uniform_writes_a_png(tmp_path: Path) -> None:
    runs = {"a": [{"step": s, "align": 0.2 + 0.01 * s, "uniform": -2 - 0.1 * s} for s in range(4)],
            "b": [{"step": 5, "align": 0.3, "uniform": -2.5}], "empty": []}
    path = plot_align_uniform(runs, tmp_path / "sub" / "au.png")
    assert mpimg.imread(path).shape[2] in (3, 4)
