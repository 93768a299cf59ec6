"""BERT-flow (the release's Glow): exact log-determinant and inverse, split latents, the loss falls, save/load,
and `python -m sentemb.run model=avg postprocess=flow` through the entry point."""

import json
import math
import os
import subprocess
import sys

import pytest
import torch
from torch.autograd.functional import jacobian

from conftest import SENTENCES
from sentemb.encoder.postprocess.flow import Flow
from sentemb.encoder.postprocess.flow_coupling import AdditiveCoupling, AffineCoupling, CouplingNet
from sentemb.encoder.postprocess.flow_layers import ActNorm, InvertibleLinear, ReversePermutation
from sentemb.encoder.postprocess.io import load_postprocess, save_postprocess
from sentemb.paths import PROJECT_ROOT

ARCHITECTURES = [dict(levels=3, coupling="additive", permutation="reverse"),  # the release's
                 dict(levels=2, coupling="affine", permutation="lu"),
                 dict(levels=1, coupling="affine", permutation="reverse"),
                 dict(levels=3, coupling="additive", permutation="lu")]


def randomised_flow(dim=8, seed=0, **arch):
    """A float64 flow whose every parameter (zero-initialised outputs included) is moved off its init."""
    flow = Flow(depth=2, hidden=8, seed=seed, dim=dim, **arch).double()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
        for m in flow.modules():
            if isinstance(m, ActNorm):
                m.initialized.fill_(True)
    return flow.eval()


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_logdet_and_nll_match_the_jacobian(arch):
    flow = randomised_flow(**arch)
    x = torch.randn(3, 8, dtype=torch.float64)
    z, logdet = flow.transform(x)
    for i in range(len(x)):
        jac = jacobian(lambda row: flow.transform(row.unsqueeze(0))[0].squeeze(0), x[i])
        sign, expected = torch.linalg.slogdet(jac)
        assert sign != 0
        torch.testing.assert_close(logdet[i], expected, atol=1e-8, rtol=1e-8)
        naive_nll = -(torch.distributions.Normal(0.0, 1.0).log_prob(z[i]).sum() + expected) / (8 * math.log(2))
        torch.testing.assert_close(flow.nll(x[i:i + 1]), naive_nll, atol=1e-8, rtol=1e-8)


def test_split_latents_are_factored_out_level_by_level():
    """z = concat(eps_0 (4), eps_1 (2), top (2)) for D = 8 with 3 levels (release glow_1x1.py:84)."""
    flow = randomised_flow()
    x = torch.randn(5, 8, dtype=torch.float64)
    h, eps = x, []
    for level, block in enumerate(flow.blocks):
        assert len(block) == 3 * 2  # depth 2 x (actnorm, permutation, coupling)
        for layer in block:
            h = layer(h)[0]
        if level < 2:
            eps.append(h[:, h.shape[1] // 2:])
            h = h[:, : h.shape[1] // 2]
    torch.testing.assert_close(flow(x), torch.cat([*eps, h], dim=1))
    assert flow.widths == [8, 4, 2]
    assert isinstance(flow.blocks[0][1], ReversePermutation) and isinstance(flow.blocks[2][2], AdditiveCoupling)


@pytest.mark.parametrize("layer,width", [(ActNorm(5), 5), (InvertibleLinear(5), 5), (ReversePermutation(), 5),
                                         (AdditiveCoupling(5, 7), 5), (AffineCoupling(5, 7), 5),
                                         (AdditiveCoupling(6, 4), 6)])
def test_each_layer_inverts(layer, width):
    layer = layer.double()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(4, width, dtype=torch.float64)
    y, _ = layer(x)
    assert not torch.allclose(y, x)
    torch.testing.assert_close(layer.inverse(y), x, atol=1e-10, rtol=0)


@pytest.mark.parametrize("arch", ARCHITECTURES)
def test_fitted_flow_inverts_in_float32(arch):
    x = 0.3 * torch.randn(500, 16) + 0.1
    flow = Flow(steps=20, seed=0, **arch).fit(x)
    z = flow(x)
    assert not torch.allclose(z, x) and (flow.inverse(z) - x).abs().max() < 1e-5


def test_nll_falls_over_fitting_steps_on_a_toy_gaussian():
    g = torch.Generator().manual_seed(0)
    x = torch.randn(4000, 8, generator=g) @ torch.randn(8, 8, generator=g) + 5.0  # correlated, shifted
    # the best possible loss: the Gaussian's entropy per dimension, in bits
    entropy = (0.5 * math.log(2 * math.pi * math.e) + 0.5 * torch.logdet(torch.cov(x.T.double())).item() / 8) / math.log(2)
    flow = Flow(levels=2, epochs=8, lr=3e-3, seed=0).fit(x)
    hist = flow.loss_history
    assert len(hist) == math.ceil(8 * 4000 / 64)
    first, last = sum(hist[:5]) / 5, sum(hist[-20:]) / 20
    assert last < first - 0.1 and abs(last - entropy) < 0.1, (first, last, entropy)
    z = flow(x)
    assert z.mean(0).abs().mean() < 0.2 and (z.std(0) - 1).abs().max() < 0.15
    assert not any(p.requires_grad for p in flow.parameters()) and not flow.training


def test_noise_keeps_training_bounded_on_a_constant_dimension():
    """An exactly constant dimension makes maximum likelihood unbounded: actnorm's data-dependent init scales it
    by 1e6 and the gradients overflow. Without noise (the release) training stops with an error naming the
    setting (clipping an infinite norm would silently zero every update); the default noise trains."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1000, 8, generator=g) @ torch.randn(8, 8, generator=g)
    x[:, 3] = 0.7
    with pytest.raises(FloatingPointError, match="postprocess.transform.noise"):
        Flow(levels=2, epochs=1, noise=0.0, seed=0).fit(x)
    flow = Flow(levels=2, epochs=4, seed=0).fit(x)
    hist = flow.loss_history
    assert all(math.isfinite(v) for v in hist) and sum(hist[-10:]) / 10 < sum(hist[:5]) / 5 - 0.2
    assert flow(x).abs().max() < 10
    nets = [m for m in flow.modules() if isinstance(m, CouplingNet)]
    assert len(nets) == 2 * 3 and all(net.out.weight.abs().max() > 0 for net in nets)  # every coupling learnt


def test_bad_settings_name_the_option():
    with pytest.raises(ValueError, match="postprocess.transform.coupling"):
        Flow(coupling="spline")
    with pytest.raises(ValueError, match="postprocess.transform.levels=3"):
        Flow(levels=3, dim=4)
    with pytest.raises(ValueError, match="postprocess.transform.epochs"):
        Flow(epochs=0)


def test_save_and_load_round_trip(tmp_path):
    x = torch.randn(300, 12)
    flow = Flow(steps=5).fit(x)
    save_postprocess(flow, tmp_path)
    loaded = load_postprocess(tmp_path)
    assert isinstance(loaded, Flow) and loaded.config() == flow.config() and loaded.widths == [12, 6, 3]
    torch.testing.assert_close(loaded(x), flow(x), atol=0, rtol=0)


def test_load_refuses_foreign_classes(tmp_path):
    (tmp_path / "postprocess").mkdir()
    (tmp_path / "postprocess" / "postprocess.json").write_text('{"_target_": "os.system", "config": {}}')
    with pytest.raises(ValueError, match="not a sentemb post-processing class"):
        load_postprocess(tmp_path)
    assert load_postprocess(tmp_path / "nothing") is None


def test_entry_point_avg_then_flow_on_a_text_file(tmp_path):
    """python -m sentemb.run model=avg postprocess=flow: fitted on a text file, evaluated, saved, reloaded."""
    from sentemb.encoder.sentence_encoder import SentenceEncoder

    corpus = tmp_path / "fit.txt"  # 60 distinct sentences > the tiny backbone's width 32
    corpus.write_text("\n".join(f"{a} {b}" for a in SENTENCES for b in SENTENCES[:5]) + "\n")
    run = tmp_path / "run"
    env = {**os.environ, "SENTEMB_CACHE_DIR": str(tmp_path / "cache")}
    subprocess.run([sys.executable, "-m", "sentemb.run", "backbone=tiny_random", "model=avg", "postprocess=flow",
                    f"postprocess.corpus={corpus}", "postprocess.transform.steps=30",
                    "postprocess.transform.batch_size=16", "eval=align_uniform", "logger=none",
                    f"hydra.run.dir={run}"], check=True, cwd=PROJECT_ROOT, env=env, timeout=600)
    info = json.loads((run / "results.json").read_text())["postprocess"]
    assert info["name"] == "flow" and info["sentences"] == 60 and info["output_dim"] == 32
    first, last = info["flow_nll_first_last"]
    assert last < first
    saved = json.loads((run / "model" / "postprocess" / "postprocess.json").read_text())["config"]
    assert (saved["levels"], saved["depth"], saved["coupling"], saved["permutation"]) == (3, 3, "additive", "reverse")
    encoder = SentenceEncoder.load(run / "model")
    assert isinstance(encoder.postprocess, Flow)
    with_flow = encoder.encode(SENTENCES)
    encoder.postprocess = None
    assert with_flow.shape == (len(SENTENCES), 32) and not torch.allclose(
        torch.as_tensor(with_flow), torch.as_tensor(encoder.encode(SENTENCES)), atol=1e-3)


def test_every_flow_option_runs_through_train(tiny_overrides, tmp_path):
    """The non-default settings (Glow's affine coupling and learnt LU map, fewer levels, epochs, no noise/clip)
    through train(compose_config(...)): fitted, evaluated and saved with the model."""
    from conftest import compose_config
    from sentemb.train import train

    corpus = tmp_path / "fit.txt"
    corpus.write_text("\n".join(f"{a} {b}" for a in SENTENCES for b in SENTENCES[:5]) + "\n")
    options = {"levels": 2, "depth": 2, "coupling": "affine", "hidden": 16, "permutation": "lu", "epochs": 3.0,
               "batch_size": 16, "lr": 2e-3, "weight_decay": 0.0, "grad_clip": 0.0, "noise": 0.0}
    cfg = compose_config([*tiny_overrides, "model=avg", "postprocess=flow", f"postprocess.corpus={corpus}",
                          "eval=align_uniform", *[f"postprocess.transform.{k}={v}" for k, v in options.items()]],
                         tmp_path / "run")
    train(cfg)
    info = json.loads((tmp_path / "run" / "results.json").read_text())["postprocess"]
    assert len(info["flow_nll_first_last"]) == 2 and info["output_dim"] == 32
    saved = json.loads((tmp_path / "run" / "model" / "postprocess" / "postprocess.json").read_text())["config"]
    assert {k: saved[k] for k in options} == options and saved["steps"] is None
    loaded = load_postprocess(tmp_path / "run" / "model")
    assert len(loaded.blocks) == 2 and isinstance(loaded.blocks[0][1], InvertibleLinear)
    assert isinstance(loaded.blocks[1][2], AffineCoupling)
