"""The dev callback (`callbacks.sts_dev`): scores the configured dev set, keeps a history and draws the
alignment/uniformity figure; the best encoder's folder comes from it; a Chinese dev set plugs in through `dev`."""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from types import SimpleNamespace

import matplotlib.image as mpimg
import numpy as np
import pytest

from sentemb.errors import SettingError
from sentemb.evaluation.dev_sets import ChineseSTSBDevScorer, STSBDevScorer
from sentemb.training.dev_callback import DevCallback, find_dev_callback


class _Encoder:
    def encode(self, sentences, batch_size=128):
        return np.stack([np.random.default_rng(zlib.crc32(s.encode())).normal(size=8) for s in sentences])


def test_dev_callback_logs_history_and_draws_the_figure(tmp_path: Path, shared_data_dir: Path) -> None:
    cb = DevCallback(STSBDevScorer(shared_data_dir), every_n_steps=2, history_path=str(tmp_path / "dev_history.jsonl"),
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


class _SavingEncoder(_Encoder):
    def save(self, folder):
        Path(folder).mkdir(parents=True)
        (Path(folder) / "weights").write_text("x")


def test_best_encoder_folder_and_summary_come_from_the_callback(tmp_path: Path, shared_data_dir: Path) -> None:
    cb = DevCallback(ChineseSTSBDevScorer(shared_data_dir), every_n_steps=1, best_dir=str(tmp_path / "best"))
    assert cb.saved_best() is None and cb.summary() is None
    trainer = SimpleNamespace(global_step=3, is_global_zero=True, loggers=[], callback_metrics={})
    cb.on_train_batch_end(trainer, SimpleNamespace(encoder=_SavingEncoder()), None, None, 3)
    assert cb.saved_best() == tmp_path / "best" and (tmp_path / "best" / "weights").is_file()
    assert cb.summary() == {"stsb_zh_spearman": cb.best, "step": 3}
    assert set(trainer.callback_metrics) == {"val/stsb_zh_spearman", "val/align", "val/uniform"}
    assert find_dev_callback([object(), cb]) is cb and find_dev_callback([object()]) is None
    with pytest.raises(SettingError, match="2 dev callbacks"):
        find_dev_callback([cb, cb])


def test_a_dev_evaluator_without_primary_metric_is_refused() -> None:
    with pytest.raises(SettingError, match=r"callbacks.sts_dev.scorer: .*primary_metric"):
        DevCallback(lambda encode: {"score": 1.0})


def test_chinese_dev_set_reads_the_valid_split(shared_data_dir: Path) -> None:
    dev = ChineseSTSBDevScorer(shared_data_dir)
    assert len(dev.pairs.scores) == 1458 and dev.primary_metric == "stsb_zh_spearman"
    scores = dev(_Encoder().encode)
    assert set(scores) == {"stsb_zh_spearman", "align", "uniform"} and -100 <= scores["stsb_zh_spearman"] <= 100
