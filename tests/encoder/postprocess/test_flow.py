"""BERT-flow: exact log-determinant, exact inverse, loss falls on a toy Gaussian, save/load round trip."""

import math

import pytest
import torch
from torch.autograd.functional import jacobian

from sentemb.encoder.postprocess.flow import Flow
from sentemb.encoder.postprocess.flow_layers import ActNorm, AffineCoupling, InvertibleLinear
from sentemb.encoder.postprocess.io import load_postprocess, save_postprocess


def randomised_flow(dim=6, lu=True, seed=0):
    """A flow whose layers are all far from the identity (random actnorm and coupling weights), float64."""
    flow = Flow(depth=2, hidden=8, lu=lu, seed=seed, dim=dim).double()
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for p in flow.parameters():
            p.add_(0.3 * torch.randn(p.shape, generator=g, dtype=p.dtype))
        for m in flow.modules():
            if isinstance(m, ActNorm):
                m.initialized.fill_(True)
    return flow.eval()


@pytest.mark.parametrize("lu", [True, False])
def test_logdet_matches_slogdet_of_the_jacobian(lu):
    flow = randomised_flow(lu=lu)
    x = torch.randn(3, 6, dtype=torch.float64)
    _, logdet = flow.transform(x)
    for i in range(len(x)):
        jac = jacobian(lambda row: flow.transform(row.unsqueeze(0))[0].squeeze(0), x[i])
        sign, expected = torch.linalg.slogdet(jac)
        assert sign != 0
        torch.testing.assert_close(logdet[i], expected, atol=1e-8, rtol=1e-8)


@pytest.mark.parametrize("layer", [ActNorm(5), InvertibleLinear(5), InvertibleLinear(5, lu=False),
                                   AffineCoupling(5, 7)])
def test_each_layer_inverts(layer):
    layer = layer.double()
    with torch.no_grad():
        for p in layer.parameters():
            p.add_(0.3 * torch.randn_like(p))
    x = torch.randn(4, 5, dtype=torch.float64)
    y, _ = layer(x)
    torch.testing.assert_close(layer.inverse(y), x, atol=1e-10, rtol=0)


def test_inverse_recovers_the_input_in_float32():
    x = torch.randn(500, 16)
    flow = Flow(depth=2, hidden=16, steps=20, seed=0).fit(x)
    assert (flow.inverse(flow(x)) - x).abs().max() < 1e-5


def test_training_loss_falls_on_a_toy_gaussian():
    g = torch.Generator().manual_seed(0)
    mix = torch.randn(8, 8, generator=g)
    x = torch.randn(2000, 8, generator=g) @ mix + 5.0  # correlated, shifted Gaussian
    # the best possible loss: the Gaussian's entropy per dimension
    entropy = 0.5 * math.log(2 * math.pi * math.e) + 0.5 * torch.logdet(torch.cov(x.T.double())).item() / 8
    flow = Flow(depth=2, hidden=16, steps=60, batch_size=256, lr=1e-2, seed=0).fit(x)
    hist = flow.loss_history
    assert len(hist) == 60
    first, last = sum(hist[:5]) / 5, sum(hist[-10:]) / 10
    assert last < first - 0.1 and abs(last - entropy) < 0.05
    z = flow(x)
    assert z.mean(0).abs().max() < 0.1 and (z.std(0) - 1).abs().max() < 0.1
    assert not any(p.requires_grad for p in flow.parameters()) and not flow.training


def test_save_and_load_round_trip(tmp_path):
    x = torch.randn(300, 6)
    flow = Flow(depth=2, hidden=8, steps=5).fit(x)
    save_postprocess(flow, tmp_path)
    loaded = load_postprocess(tmp_path)
    assert isinstance(loaded, Flow) and loaded.dim == 6
    torch.testing.assert_close(loaded(x), flow(x))


def test_load_refuses_foreign_classes(tmp_path):
    (tmp_path / "postprocess").mkdir()
    (tmp_path / "postprocess" / "postprocess.json").write_text('{"_target_": "os.system", "config": {}}')
    with pytest.raises(ValueError, match="not a sentemb post-processing class"):
        load_postprocess(tmp_path)
    assert load_postprocess(tmp_path / "nothing") is None


def test_training_is_stable_with_a_constant_dimension():
    """A constant input dimension makes maximum likelihood unbounded; the training noise keeps it stable."""
    g = torch.Generator().manual_seed(0)
    x = torch.randn(1000, 8, generator=g) @ torch.randn(8, 8, generator=g)
    x[:, 3] = 0.7
    flow = Flow(depth=2, hidden=16, steps=60, batch_size=256, lr=1e-2, seed=0).fit(x)
    hist = flow.loss_history
    assert all(math.isfinite(v) for v in hist) and sum(hist[-10:]) / 10 < sum(hist[:5]) / 5
    assert torch.isfinite(flow(x)).all()
