"""BERT-whitening: zero mean and identity covariance, top-k directions, rank-deficient safety."""

import numpy as np
import pytest
import torch

from sentemb.encoder.postprocess.whitening import Whitening


def anisotropic_sample(n=4000, d=16, seed=0):
    """x = z diag(sqrt(var)) Q^T + shift: known principal directions Q (columns, decreasing variance)."""
    g = torch.Generator().manual_seed(seed)
    q = torch.linalg.qr(torch.randn(d, d, generator=g, dtype=torch.float64))[0]
    var = torch.logspace(1, -2, d, dtype=torch.float64)
    z = torch.randn(n, d, generator=g, dtype=torch.float64)
    return z * var.sqrt() @ q.T + 3.0, q, var


def test_whitened_sample_has_zero_mean_and_identity_covariance():
    x, _, _ = anisotropic_sample()
    y = Whitening().double().fit(x).double().whiten(x)
    assert y.shape == x.shape
    assert y.mean(0).abs().max() < 1e-4
    cov = torch.cov(y.T)
    assert (cov - torch.eye(x.shape[1], dtype=torch.float64)).abs().max() < 1e-4


def test_k_keeps_the_top_k_directions():
    x, q, var = anisotropic_sample()
    k = 4
    w = Whitening(k=k).fit(x)
    assert w.output_dim == k
    y = w.whiten(x.float()).double()
    # projection on the true top-k directions, scaled to unit variance: equal up to the sign of each column
    expected = (x - x.mean(0)) @ q[:, :k] / var[:k].sqrt()
    signs = torch.sign((y * expected).sum(0))
    corr = ((y * signs) * expected).sum(0) / (y.norm(dim=0) * expected.norm(dim=0))
    assert corr.min() > 0.99
    span = w.weight.double() / w.weight.double().norm(dim=0)
    np.testing.assert_allclose((span.T @ q[:, :k]).abs().max(1).values.numpy(), 1.0, atol=1e-2)


def test_output_is_unit_norm_and_linear_form_matches():
    x, _, _ = anisotropic_sample(n=500, d=8)
    w = Whitening(k=6).fit(x)
    xf = x.float()
    out = w(xf)
    torch.testing.assert_close(out.norm(dim=1), torch.ones(len(x)))
    torch.testing.assert_close(torch.nn.functional.normalize(w.as_linear()(xf), dim=1), out, atol=1e-5, rtol=1e-5)


def test_rank_deficient_covariance_stays_finite():
    g = torch.Generator().manual_seed(1)
    x = torch.randn(10, 3, generator=g) @ torch.randn(3, 32, generator=g)  # rank 3 in 32 dims, N < D
    w = Whitening().fit(x)
    y = w(x)
    assert torch.isfinite(w.weight).all() and torch.isfinite(y).all()
    w3 = Whitening(k=3).fit(x)
    cov = torch.cov(w3.whiten(x).T.double())
    assert (cov - torch.eye(3, dtype=torch.float64)).abs().max() < 1e-3


def test_bad_settings_are_named():
    with pytest.raises(ValueError, match="transform.k"):
        Whitening(k=0)
    with pytest.raises(ValueError, match="exceeds"):
        Whitening(k=10).fit(torch.randn(20, 4))
    with pytest.raises(RuntimeError, match="not fitted"):
        Whitening()(torch.randn(2, 4))
