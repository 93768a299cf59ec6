"""Every sampler x loss of conf/ either trains a fast_dev_run on the tiny random backbone or is refused at
start-up (before any data or weights load) with a message naming both settings. Parametrized over the conf
files, so options added later are covered too. Also: model=vascl's defaults and their overrides."""

from __future__ import annotations

import pytest

from conftest import CONF_DIR, compose_config
from sentemb.samplers.compat import IncompatibleConfigError
from sentemb.train import train

SAMPLERS = sorted(p.stem for p in (CONF_DIR / "sampler").glob("*.yaml"))
LOSSES = sorted(p.stem for p in (CONF_DIR / "loss").glob("*.yaml"))
MUST_RUN = {("in_batch", "infonce"), ("debiased", "infonce"), ("hard", "infonce"), ("knn", "vascl")}


@pytest.mark.parametrize("loss", LOSSES)
@pytest.mark.parametrize("sampler", SAMPLERS)
def test_every_sampler_loss_pair_runs_or_is_refused_at_start_up(sampler, loss, tiny_overrides, tmp_path,
                                                                monkeypatch):
    import sentemb.train as train_module

    started = []
    original_fit = train_module.fit
    monkeypatch.setattr(train_module, "fit", lambda *a, **k: started.append(True) or original_fit(*a, **k))
    overrides = [*tiny_overrides, "data.batch_size=24", f"sampler={sampler}", f"loss={loss}",
                 "trainer.fast_dev_run=true", "callbacks=none"]
    cfg = compose_config(overrides, tmp_path / "run")
    try:
        train(cfg)
    except IncompatibleConfigError as err:
        assert not started, "refused after training had started"
        assert (sampler, loss) not in MUST_RUN, str(err)
        # named by conf option (`config_name`), or by class for a loss or sampler that does not set one
        from hydra.utils import instantiate

        names = {f"loss={loss}", f"loss={type(instantiate(cfg.loss)).__name__}"}
        assert any(n in str(err) for n in names), str(err)
        names = {f"sampler={sampler}", f"sampler={type(instantiate(cfg.sampler)).__name__}"}
        assert any(n in str(err) for n in names), str(err)
        return
    assert started


def test_vascl_model_sets_knn_and_vascl_and_the_command_line_overrides_them(tmp_path):
    cfg = compose_config(["model=vascl"], tmp_path)
    assert cfg.sampler._target_.endswith("KnnSampler") and cfg.loss._target_.endswith("VaSCLLoss")
    assert cfg.sampler.k == 16 and cfg.loss.temperature == 0.05 and cfg.model.pooling == "mean"
    cfg = compose_config(["model=vascl", "sampler=hard", "loss=infonce", "sampler.beta=0.5"], tmp_path)
    assert cfg.sampler._target_.endswith("HardNegativeSampler") and cfg.loss._target_.endswith("InfoNCELoss")
    assert cfg.sampler.beta == 0.5 and cfg.model.name == "vascl"
    cfg = compose_config(["model=vascl", "sampler.k=8", "loss.temperature=0.1", "experiment=quick_cpu"], tmp_path)
    assert cfg.sampler.k == 8 and cfg.loss.temperature == 0.1 and cfg.model.name == "vascl"


def test_hard_sampler_temperature_follows_the_loss(tmp_path):
    cfg = compose_config(["sampler=hard", "loss.temperature=0.1"], tmp_path)
    from hydra.utils import instantiate

    assert instantiate(cfg.sampler).temperature == 0.1


def test_k_not_below_batch_size_fails_at_start_up(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "model=vascl", "data.batch_size=8", "trainer.fast_dev_run=true"],
                         tmp_path / "run")
    with pytest.raises(IncompatibleConfigError, match=r"sampler.k=16.*data.batch_size=8"):
        train(cfg)
