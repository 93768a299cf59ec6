"""Issue 10 audit: every bad input and bad setting it lists, one test each, in one place.

Bad data gets either one clear error (exact type; the message names the file and line and what was
expected) or a documented repair (dropped and counted, truncated): see the README's "Bad data" paragraph.
Bad settings are refused at start-up by `sentemb.train.train` (before any step) with a message naming the
setting and the allowed values; Hydra wraps errors raised while instantiating a config in an
InstantiationException, so the exact type asserted is that of the root cause, and the message the user
sees (the wrapper's) must name the setting too.

Deeper tests of the same checks: tests/data/test_text_reader.py, test_sts_readers.py, test_reader_fuzz.py
(random bytes to every reader), tests/samplers/test_compat*.py, tests/losses/test_arccon.py,
tests/data/test_masked_span.py, tests/encoder/test_pooling.py, test_sentence_encoder.py.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from pathlib import Path

import pytest
from hydra.errors import InstantiationException

from conftest import compose_config
from sentemb.data.batch_samplers import LabelBatchSampler
from sentemb.data.errors import DataFormatError
from sentemb.data.labelled import read_labelled_csv
from sentemb.data.nli import read_triplet_csv
from sentemb.data.scored_pairs import read_pair_csv
from sentemb.data.sts_readers import read_sick, read_sts_year, read_stsb
from sentemb.data.text_reader import read_text_lines
from sentemb.data.zh_readers import read_zh_pairs
from sentemb.errors import MissingFileError, SettingError
from sentemb.samplers.compat import IncompatibleConfigError

PAIRS_HEADER = "sentence1,sentence2,label\n"
STSB_ROW = "main-captions\tMSRvid\t2012test\t0001\t{score}\tA man plays.\tA man is playing.\n"
SICK_HEADER = "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n"


def with_overrides(base: list[str], extra: list[str]) -> list[str]:
    """`base` overrides (the tiny test run) with those of `extra` replacing any of the same key."""
    keys = {o.split("=")[0] for o in extra}
    return [o for o in base if o.split("=")[0] not in keys] + extra


# ----------------------------------------------------------------------------------------------------------
# Bad data: one clear error naming file and line
# ----------------------------------------------------------------------------------------------------------

@dataclass
class DataCase:
    """`file` (name, bytes) is written under tmp; `read(path)` reads it; the error must be `error` exactly
    and its message must match `match` (which names the file and line)."""

    file: tuple[str, bytes]
    read: object
    error: type
    match: str


def _stsb(path: Path):
    return read_stsb(path.parent, "dev")


def _sts12(path: Path):
    folder = path.parent
    for sub in ("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"):
        (folder / f"STS.input.{sub}.txt").write_text("a\tb\nc\td\n")
        if sub != "MSRpar":
            (folder / f"STS.gs.{sub}.txt").write_text("1\n2\n")
    return read_sts_year(folder, "STS12")


DATA_CASES = {
    # empty and whitespace-only content
    "empty_text_file": DataCase(("e.txt", b""), read_text_lines, DataFormatError, r"e\.txt: no non-empty line"),
    "whitespace_only_text_file": DataCase(("w.txt", b" \n\t\n\n"), read_text_lines, DataFormatError,
                                          r"w\.txt: no non-empty line to train on \(3 empty lines\)"),
    "empty_csv_file": DataCase(("p.csv", b""), read_pair_csv, DataFormatError,
                               r"p\.csv:1: expected a header with columns \['sentence1', 'sentence2', 'label'\]"),
    "csv_with_only_a_header": DataCase(("p.csv", PAIRS_HEADER.encode() + b" , ,\n"), read_pair_csv,
                                       DataFormatError, r"p\.csv: no labelled pairs after the header"),
    "empty_sentence_in_a_pair": DataCase(("p.csv", (PAIRS_HEADER + "a,b,1\n ,b,2\n").encode()), read_pair_csv,
                                         DataFormatError, r"p\.csv:3: expected two non-empty sentences"),
    "empty_stsb_file": DataCase(("sts-dev.csv", b"\n"), _stsb, DataFormatError,
                                r"sts-dev\.csv: no scored sentence pair"),
    # bytes that are not UTF-8
    "non_utf8_text_line": DataCase(("t.txt", b"fine\nbroken \xff\xfe here\n"), read_text_lines, DataFormatError,
                                   r"t\.txt:2: expected UTF-8 text, got 'broken"),
    "non_utf8_csv_row": DataCase(("p.csv", PAIRS_HEADER.encode() + b"a,b,1\nc\xc3,d,2\n"), read_pair_csv,
                                 DataFormatError, r"p\.csv:3: expected UTF-8 text"),
    # csv / tsv rows with missing or extra columns
    "csv_header_missing_a_column": DataCase(("p.csv", b"sentence1,label\na,1\n"), read_pair_csv, DataFormatError,
                                            r"p\.csv:1: expected a header .*\(missing \['sentence2'\]\)"),
    "csv_row_missing_a_field": DataCase(("p.csv", (PAIRS_HEADER + "a,b,1\nc,d\n").encode()), read_pair_csv,
                                        DataFormatError, r"p\.csv:3: expected 3 comma-separated fields .*got 2"),
    "csv_row_with_an_extra_field": DataCase(("p.csv", (PAIRS_HEADER + "a,b,c,1\n").encode()), read_pair_csv,
                                            DataFormatError, r"p\.csv:2: expected 3 comma-separated fields .*got 4"),
    "labelled_csv_row_with_an_extra_field": DataCase(("l.csv", b"text,label\nhi, there,greet\n"),
                                                     read_labelled_csv, DataFormatError,
                                                     r"l\.csv:2: expected 2 comma-separated fields .*got 3"),
    "triplet_csv_row_missing_a_field": DataCase(("t.csv", b"sent0,sent1,hard_neg\na,b\n"), read_triplet_csv,
                                                DataFormatError, r"t\.csv:2: expected 3 comma-separated fields"),
    "tsv_row_missing_fields": DataCase(("sts-dev.csv", (STSB_ROW.format(score=1) + "x\t1\ty\n").encode()), _stsb,
                                       DataFormatError, r"sts-dev\.csv:2: expected >= 7 TAB-separated fields"),
    "tsv_row_with_an_extra_field": DataCase(("BQ.test.data", "一\t二\t1\textra\n".encode()), read_zh_pairs,
                                            DataFormatError,
                                            r"BQ\.test\.data:1: expected 'sentence1<TAB>sentence2<TAB>score'"),
    # scores that are not numbers or out of the data set's range
    "stsb_score_not_a_number": DataCase(("sts-dev.csv", STSB_ROW.format(score="five").encode()), _stsb,
                                        DataFormatError, r"sts-dev\.csv:1: expected a numeric score in \[0, 5\]"),
    "pair_csv_label_nan": DataCase(("p.csv", (PAIRS_HEADER + "a,b,1\nc,d,nan\n").encode()), read_pair_csv,
                                   DataFormatError, r"p\.csv:3: expected a finite numeric label \(column 'label'\)"),
    "stsb_score_above_5": DataCase(("sts-dev.csv", (STSB_ROW.format(score=1) + STSB_ROW.format(score=5.5)).encode()),
                                   _stsb, DataFormatError, r"sts-dev\.csv:2: expected a numeric score in \[0, 5\]"),
    "sts12_gold_score_negative": DataCase(("STS.gs.MSRpar.txt", b"1\n-0.5\n"), _sts12, DataFormatError,
                                          r"STS\.gs\.MSRpar\.txt:2: expected a numeric score in \[0, 5\]"),
    "sick_relatedness_below_1": DataCase(("SICK_trial.txt", (SICK_HEADER + "1\ta\tb\t0.5\tNEUTRAL\n").encode()),
                                         read_sick, DataFormatError,
                                         r"SICK_trial\.txt:2: expected a numeric relatedness_score in \[1, 5\]"),
    "binary_label_not_0_or_1": DataCase(("BQ.test.data", "一\t二\t1\n三\t四\t2\n".encode()), read_zh_pairs,
                                        DataFormatError, r"BQ\.test\.data:2: expected a numeric label in \{0, 1\}"),
    "pair_csv_score_outside_data_score_range": DataCase(
        ("p.csv", (PAIRS_HEADER + "a,b,4.5\nc,d,7\n").encode()), lambda p: read_pair_csv(p, score_range=[0, 5]),
        DataFormatError, r"p\.csv:3: expected a numeric label \(column 'label'\) in \[0, 5\]"),
    # a file that does not exist
    "missing_text_file": DataCase(("other.txt", b"x\n"), lambda p: read_text_lines(p.parent / "nope.txt"),
                                  MissingFileError, r"data file not found: '.*nope\.txt'"),
    "missing_csv_file": DataCase(("other.csv", b"x\n"), lambda p: read_pair_csv(p.parent / "nope.csv"),
                                 MissingFileError, r"data file not found: '.*nope\.csv'.*SENTEMB_DATA_DIR"),
    "missing_stsb_folder": DataCase(("other.txt", b"x\n"), lambda p: read_stsb(p.parent / "nowhere", "dev"),
                                    MissingFileError, r"nowhere.*sts-dev\.csv"),
}


@pytest.mark.parametrize("name", list(DATA_CASES))
def test_bad_data_is_one_clear_error(name, tmp_path):
    case = DATA_CASES[name]
    path = tmp_path / case.file[0]
    path.write_bytes(case.file[1])
    with pytest.raises(Exception) as info:
        case.read(path)
    assert type(info.value) is case.error, f"{name}: {type(info.value).__name__}: {info.value}"
    assert info.match(case.match)


def test_labels_with_a_single_example_only_is_an_error():
    with pytest.raises(ValueError) as info:
        LabelBatchSampler(["a", "b", "c"], batch_size=4, per_label=2)
    assert type(info.value) is SettingError
    assert info.match(r"no label has 2 or more rows: cannot build batches with data\.per_label=2")


def test_bad_score_stops_a_run_before_training(tiny_overrides, tmp_path):
    """The same refusal through the real entry point: no step runs, nothing looks like a finished result;
    with data.on_bad_score=drop the same run trains."""
    from sentemb.train import train

    bad = tmp_path / "pairs.csv"
    bad.write_text(PAIRS_HEADER + "".join(f"sentence {i},other sentence {i},{i % 5}\n" for i in range(12))
                   + "sentence x,other x,9\n")
    cfg = compose_config(with_overrides(tiny_overrides, ["model=cosent", "data=pair_csv", f"data.path={bad}",
                                                         "data.score_range=[0,5]", "data.batch_size=4",
                                                         "trainer.max_steps=2", "callbacks=none"]), tmp_path / "out")
    with pytest.raises(DataFormatError, match=r"pairs\.csv:14: expected a numeric label \(column 'label'\) "
                                              r"in \[0, 5\]"):
        train(cfg)
    out = tmp_path / "out"
    assert not (out / "results.json").exists() and not (out / "checkpoints").exists()
    cfg.data.on_bad_score, cfg.trainer.fast_dev_run = "drop", True  # the documented repair: the run trains
    train(cfg)


# ----------------------------------------------------------------------------------------------------------
# Bad data: documented repairs (dropped and counted, truncated)
# ----------------------------------------------------------------------------------------------------------

def test_empty_and_whitespace_only_lines_are_dropped_and_counted(tmp_path, caplog):
    path = tmp_path / "t.txt"
    path.write_text("one\n\n   \ntwo\n\t\n")
    with caplog.at_level(logging.INFO):
        lines = read_text_lines(path)
    assert lines.sentences == ["one", "two"] and lines.dropped_empty == 3
    assert "t.txt: dropped 3 empty or whitespace-only lines" in caplog.text
    csv_path = tmp_path / "p.csv"
    csv_path.write_text(PAIRS_HEADER + "a,b,1\n\n , ,\nc,d,0\n")
    with caplog.at_level(logging.INFO):
        assert read_pair_csv(csv_path)[1] == [1, 0]
    assert "p.csv: dropped 2 blank rows" in caplog.text


def test_lines_far_longer_than_max_length_are_truncated(tmp_path, tiny_backbone_factory):
    from sentemb.data.batches import DropoutPairBuilder
    from sentemb.data.datamodule import TextDataModule

    path = tmp_path / "long.txt"
    path.write_text("short line\n" + " ".join(["word"] * 20000) + "\nanother short line\n")
    dm = TextDataModule(path, tiny_backbone_factory().tokenizer, DropoutPairBuilder, batch_size=2, max_length=16,
                        cache_dir=None)
    dm.setup("fit")
    assert [len(ids) for ids in dm.train_set.token_lists] == [4, 16, 5]  # [CLS] ... [SEP], cut at 16


def test_bad_scores_dropped_and_counted_when_asked(tmp_path, caplog):
    path = tmp_path / "p.csv"
    path.write_text(PAIRS_HEADER + "a,b,4\nc,d,nan\ne,f,9\ng,h,2.5\n")
    with caplog.at_level(logging.WARNING):
        pairs, labels = read_pair_csv(path, score_range=[0, 5], on_bad_score="drop")
    assert pairs == [("a", "b"), ("g", "h")] and labels == [4.0, 2.5]
    assert "p.csv: dropped 2 row(s), expected a numeric label (column 'label') in [0, 5] (first at line 3" \
        in caplog.text
    (tmp_path / "sts-dev.csv").write_text(STSB_ROW.format(score=6) + STSB_ROW.format(score=3.2))
    got = read_stsb(tmp_path, "dev", on_bad_score="drop")
    assert got.scores.tolist() == [3.2] and got.dropped == 1


def test_labels_with_a_single_example_are_left_out_and_counted(caplog):
    with caplog.at_level(logging.WARNING):
        sampler = LabelBatchSampler(["a", "a", "b", "c", "c", "d"], batch_size=4, per_label=2)
    assert sorted(sampler.rows) == ["a", "c"]
    assert "2 labels have fewer than 2 rows and are left out" in caplog.text


def test_data_smaller_than_one_batch_trains_with_a_warning(tmp_path, tiny_backbone_factory, caplog):
    from sentemb.data.batches import DropoutPairBuilder
    from sentemb.data.datamodule import TextDataModule
    from sentemb.data.scored_pairs import PairDataModule
    from sentemb.data.view_batches import PairBuilder

    tokenizer = tiny_backbone_factory().tokenizer
    (tmp_path / "few.txt").write_text("one sentence\nanother sentence\nthird\n")
    (tmp_path / "few.csv").write_text(PAIRS_HEADER + "a,b,1\nc,d,0\n")
    with caplog.at_level(logging.WARNING):
        TextDataModule(tmp_path / "few.txt", tokenizer, DropoutPairBuilder, batch_size=8, cache_dir=None).setup()
        pairs = PairDataModule(tmp_path / "few.csv", tokenizer, PairBuilder, batch_size=8, cache_dir=None)
        pairs.setup()
    assert "few.txt: 3 sentences, fewer than one batch (data.batch_size=8)" in caplog.text
    assert "few.csv: 2 rows, fewer than one batch (data.batch_size=8)" in caplog.text
    assert [len(b) for b in pairs.train_dataloader()] == [2]


# ----------------------------------------------------------------------------------------------------------
# Bad settings: refused at start-up, naming the setting and the allowed values
# ----------------------------------------------------------------------------------------------------------

# id -> (overrides, root error type, regex on the root message: setting and allowed values)
SETTING_CASES = {
    "temperature_zero": (["loss.temperature=0"], SettingError, r"loss\.temperature must be > 0, got 0"),
    "temperature_negative": (["loss.temperature=-0.05"], SettingError, r"loss\.temperature must be > 0, got -0\.05"),
    "arccon_margin_above_pi_over_2": (["model=arccse", "loss.margin=2.0"], SettingError,
                                      r"loss\.margin must be an angle in radians in \[0, 1\.5708\].*got 2\.0"),
    "triplet_margin_negative": (["loss=triplet", "loss.margin=-1"], SettingError, r"loss\.margin must be >= 0"),
    "arccse_triplet_margin_above_pi": (["model=arccse", "model.auxiliary.triplet.margin=4"], SettingError,
                                       r"model\.auxiliary\.triplet\.margin must be in \[-3\.142, 3\.142\] for "
                                       r"distance=angle, got 4\.0"),
    "arccse_triplet_unknown_pairing": (["model=arccse", "model.auxiliary.triplet.pairing=some"], SettingError,
                                       r"model\.auxiliary\.triplet\.pairing must be one of \('own', 'all'\), "
                                       r"got 'some'"),
    "knn_k_equal_to_batch_size": (["loss=vascl", "sampler=knn", "sampler.k=8"], IncompatibleConfigError,
                                  r"needs data\.batch_size >= 9, got data\.batch_size=8: lower sampler\.k below"),
    "knn_k_above_batch_size": (["loss=vascl", "sampler=knn", "sampler.k=16"], IncompatibleConfigError,
                               r"sampler\.k=16\) needs data\.batch_size >= 17"),
    "mask_inner_ratio_zero": (["model=arccse", "model.batch_builder.inner_ratio=0"], SettingError,
                              r"model\.batch_builder\.inner_ratio must be in \(0, 1\), got 0"),
    "mask_inner_ratio_above_1": (["model=arccse", "model.batch_builder.inner_ratio=1.5"], SettingError,
                                 r"model\.batch_builder\.inner_ratio must be in \(0, 1\), got 1\.5"),
    "mask_outer_ratio_1": (["model=arccse", "model.batch_builder.outer_ratio=1.0"], SettingError,
                           r"model\.batch_builder\.outer_ratio must be in \[inner_ratio=0\.2, 1\), got 1\.0"),
    "mask_wider_ratio_below_narrower": (["model=arccse", "model.batch_builder.outer_ratio=0.1"], SettingError,
                                        r"model\.batch_builder\.outer_ratio must be in \[inner_ratio=0\.2, 1\), "
                                        r"got 0\.1"),
    "unknown_pooling": (["model.pooling=median"], SettingError,
                        r"model\.pooling='median' is not a known pooling; allowed: cls, cls_before_pooler, mean, "
                        r"max, first_last_avg, last2avg"),
    "unknown_backbone_name": (["backbone=minilm_l6", "backbone.name_or_path=no-such-org/no-such-model"], MissingFileError,
                              r"could not load backbone 'no-such-org/no-such-model' \(Hugging Face Hub name\).*"
                              r"set backbone\.name_or_path to a folder with config\.json, weights and tokenizer"),
    "backbone_folder_without_weights": (["backbone=minilm_l6", "backbone.name_or_path={tmp}/empty_model"],
                                        MissingFileError,
                                        r"backbone\.name_or_path='.*empty_model' is a folder without weights "
                                        r"\(looked for model\.safetensors"),
    "backbone_path_that_does_not_exist": (["backbone=minilm_l6", "backbone.name_or_path={tmp}/no/such/model"],
                                          MissingFileError, r"backbone\.name_or_path='.*no/such/model': no such"),
    "loss_ignores_the_sampler": (["loss=infonce", "sampler=knn", "sampler.k=4"], IncompatibleConfigError,
                                 r"loss=infonce cannot use what sampler=knn gives: .*sampler\.k=4.*pick a loss"),
    "loss_needs_what_the_sampler_lacks": (["loss=vascl", "sampler=in_batch"], IncompatibleConfigError,
                                          r"loss=vascl needs .*neighbourhoods.*sampler=in_batch does not give"),
    "sampler_needs_labels_the_data_lacks": (["model=supcon"], IncompatibleConfigError,
                                            r"sampler=label .*needs class labels.*use data=banking77"),
    "batch_size_1_with_in_batch_negatives": (["data.batch_size=1"], IncompatibleConfigError,
                                             r"data\.batch_size=1: sampler=in_batch with loss=infonce .*"
                                             r"use data\.batch_size >= 2"),
    "score_range_low_above_high": (["model=cosent", "data=pair_csv", "data.path={tmp}/p.csv",
                                    "data.score_range=[5,0]"], SettingError,
                                   r"data\.score_range must be \[low, high\] with low <= high"),
    "unknown_on_bad_score": (["model=cosent", "data=pair_csv", "data.path={tmp}/p.csv", "data.on_bad_score=skip"],
                             SettingError, r"data\.on_bad_score must be one of \('error', 'drop'\), got 'skip'"),
}


def _root(err: BaseException) -> BaseException:
    while isinstance(err, InstantiationException) and err.__cause__ is not None:
        err = err.__cause__
    return err


@pytest.mark.parametrize("name", list(SETTING_CASES))
def test_bad_setting_is_refused_at_start_up(name, tiny_overrides, tmp_path, monkeypatch):
    import huggingface_hub.constants

    from sentemb.train import train

    monkeypatch.setattr(huggingface_hub.constants, "HF_HUB_OFFLINE", True)  # a Hub name fails at once here
    (tmp_path / "empty_model").mkdir()
    (tmp_path / "p.csv").write_text(PAIRS_HEADER + "a,b,1\nc,d,0\n")
    overrides, error, match = SETTING_CASES[name]
    extra = ["trainer.max_steps=1", "callbacks=none", *(o.format(tmp=tmp_path) for o in overrides)]
    cfg = compose_config(with_overrides(tiny_overrides, extra), tmp_path / "out")
    with pytest.raises(Exception) as info:
        train(cfg)
    root = _root(info.value)
    assert type(root) is error, f"{name}: {type(root).__name__}: {root}"
    assert re.search(match, str(root), re.S), f"{name}: {root}"
    assert re.search(match, str(info.value).replace("\\'", "'"), re.S), f"{name}: the wrapper hides it: {info.value}"
    assert not (tmp_path / "out" / "checkpoints").exists()
