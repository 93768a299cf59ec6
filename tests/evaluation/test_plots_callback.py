"""Tests of the plots (PNG that opens) and of the STS-B dev callback writing the alignment/uniformity figure."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from types import SimpleNamespace

import matplotlib.image as mpimg
import numpy as np
import pytest

from sentemb.evaluation.dev_callback import STSDevCallback
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


class _Encoder:
    def encode(self, sentences, batch_size=128):
        return np.stack([np.random.default_rng(zlib.crc32(s.encode())).normal(size=8) for s in sentences])


def test_dev_callback_logs_history_and_draws_the_figure(tmp_path: Path, shared_data_dir: Path) -> None:
    cb = STSDevCallback(str(shared_data_dir), every_n_steps=2, history_path=str(tmp_path / "dev_history.jsonl"),
                        plot_path=str(tmp_path / "align_uniform.png"))
    trainer = SimpleNamespace(global_step=0, is_global_zero=True, loggers=[], callback_metrics={})
    module = SimpleNamespace(encoder=_Encoder())
    for step in (1, 2, 3, 4):
        trainer.global_step = step
        cb.on_train_batch_end(trainer, module, None, None, step)
    trainer.global_step = 5
    cb.on_train_end(trainer, module)
    history = [json.loads(line) for line in (tmp_path / "dev_history.jsonl").read_text().splitlines()]
    assert [h["step"] for h in history] == [2, 4, 5]
    assert set(trainer.callback_metrics) == {"val/stsb_spearman", "val/align", "val/uniform"}
    assert mpimg.imread(tmp_path / "align_uniform.png").ndim == 3
