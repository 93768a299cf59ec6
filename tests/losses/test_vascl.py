import pytest
import torch

from sentemb.losses.infonce import InfoNCELoss
from sentemb.losses.vascl import VaSCLLoss
from sentemb.losses.virtual_augment import (
    adversarial_direction,
    bi_neighbourhood_loss,
    random_unit,
    sampled_direction,
    uni_neighbourhood_loss,
)
from sentemb.samplers.knn import KnnSampler

cos = torch.nn.functional.cosine_similarity


def naive_uni(a, v, nbr, tau):
    out = []
    for i in range(a.shape[0]):
        pos = torch.exp(cos(a[i], v[i], dim=0) / tau)
        ng = sum(torch.exp(cos(v[i], a[j], dim=0) / tau) for j in nbr[i].tolist())
        out.append(-torch.log(pos / (pos + ng)))
    return torch.stack(out)


def naive_bi(a, v, nbr, tau):
    rows = []
    for x, i in [(a, i) for i in range(a.shape[0])] + [(v, i) for i in range(a.shape[0])]:
        pos = torch.exp(cos(a[i], v[i], dim=0) / tau)
        ng = sum(torch.exp(cos(x[i], a[j], dim=0) / tau) + torch.exp(cos(x[i], v[j], dim=0) / tau)
                 for j in nbr[i].tolist())
        rows.append(-torch.log(pos / (pos + ng)))
    return torch.stack(rows).mean()


def batch(seed=0, b=8, d=16):
    torch.manual_seed(seed)
    return torch.randn(b, 2, d, dtype=torch.float64)


def test_uni_and_bi_losses_match_naive_loops():
    pairs = KnnSampler(k=3)(batch())
    a = pairs.anchors
    v = a + 0.7 * torch.randn_like(a)
    torch.testing.assert_close(uni_neighbourhood_loss(a, v, pairs.neighbours, 0.1), naive_uni(a, v, pairs.neighbours, 0.1))
    torch.testing.assert_close(bi_neighbourhood_loss(a, v, pairs.neighbours, 0.1), naive_bi(a, v, pairs.neighbours, 0.1))


@pytest.mark.parametrize("settings", [{"eps": 0.0}, {"eps": 1.0, "virtual_weight": 0.0},
                                      {"eps": 0.0, "virtual_weight": 0.0}])
def test_without_virtual_term_vascl_is_simcse(settings):
    emb = batch(1)
    pairs = KnnSampler(k=4)(emb)
    assert torch.equal(VaSCLLoss(0.05, **settings)(pairs), InfoNCELoss(0.05)(pairs))


@pytest.mark.parametrize("perturbation", ["adversarial", "sampled"])
def test_vascl_adds_the_virtual_term(perturbation):
    torch.manual_seed(2)
    emb = batch(2).requires_grad_(True)
    pairs = KnnSampler(k=3)(emb)
    loss = VaSCLLoss(0.05, eps=0.5, perturbation=perturbation)(pairs)
    assert loss > InfoNCELoss(0.05)(pairs)
    (grad,) = torch.autograd.grad(loss, emb)
    assert torch.isfinite(grad).all() and grad[:, 0].abs().sum() > 0


@pytest.mark.parametrize("dtype", [torch.float64, torch.float32])
@pytest.mark.parametrize("seed", range(5))
def test_adversarial_step_raises_the_neighbourhood_loss_over_its_random_start(seed, dtype):
    pairs = KnnSampler(k=4)(batch(10 + seed, b=12).to(dtype))
    a, nbr, tau, eps = pairs.anchors, pairs.neighbours, 0.05, 0.5
    gen = torch.Generator().manual_seed(seed)
    start = random_unit(a, gen)
    adv = adversarial_direction(a, nbr, tau, eps, start)
    torch.testing.assert_close(adv.norm(dim=1), torch.ones(12, dtype=a.dtype))
    before = uni_neighbourhood_loss(a, a + eps * start, nbr, tau)
    after = uni_neighbourhood_loss(a, a + eps * adv, nbr, tau)
    assert after.mean() > before.mean()
    assert (after > before).float().mean() >= 0.9


def test_sampled_direction_keeps_the_most_confusing_candidate():
    pairs = KnnSampler(k=3)(batch(3))
    a, nbr = pairs.anchors, pairs.neighbours
    d = sampled_direction(a, nbr, 0.05, 0.5, n=32, generator=torch.Generator().manual_seed(0))
    torch.testing.assert_close(d.norm(dim=1), torch.ones(8, dtype=a.dtype))
    # the same draws, replayed: the kept one is the per-anchor maximum
    gen = torch.Generator().manual_seed(0)
    cands = torch.nn.functional.normalize(torch.randn((32, *a.shape), generator=gen, dtype=a.dtype), dim=-1)
    losses = torch.stack([uni_neighbourhood_loss(a, a + 0.5 * c, nbr, 0.05) for c in cands])
    kept = uni_neighbourhood_loss(a, a + 0.5 * d, nbr, 0.05)
    torch.testing.assert_close(kept, losses.max(0).values)


def test_vascl_without_neighbourhoods_says_which_sampler():
    from sentemb.samplers.in_batch import InBatchSampler

    with pytest.raises(ValueError, match="sampler=knn"):
        VaSCLLoss()(InBatchSampler()(batch()))


@pytest.mark.parametrize("bad,match", [({"eps": -1.0}, "loss.eps"), ({"perturbation": "x"}, "loss.perturbation"),
                                       ({"temperature": 0.0}, "loss.temperature"), ({"n_samples": 0}, "n_samples"),
                                       ({"virtual_weight": -1.0}, "virtual_weight"), ({"xi": 0.0}, "loss.xi")])
def test_vascl_validates_settings(bad, match):
    with pytest.raises(ValueError, match=match):
        VaSCLLoss(**bad)
