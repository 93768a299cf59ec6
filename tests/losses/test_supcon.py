"""SupCon = InfoNCE with the label sampler; checked against a naive loop over Khosla et al.'s L_out."""

import math

import pytest
import torch

from sentemb.losses.infonce import InfoNCELoss
from sentemb.samplers.label import LabelSampler


def naive_supcon(emb, labels, tau):
    """emb (B, V, D): anchors = all B*V views; P(i) = other views with the same label; A(i) = all but i."""
    b, v, _ = emb.shape
    z = [torch.nn.functional.normalize(emb[k, w], dim=0) for w in range(v) for k in range(b)]
    y = [int(labels[k]) for w in range(v) for k in range(b)]
    losses = []
    for i in range(len(z)):
        pos = [p for p in range(len(z)) if p != i and y[p] == y[i]]
        if not pos:
            continue
        denom = sum(math.exp(float(z[i] @ z[a]) / tau) for a in range(len(z)) if a != i)
        losses.append(-sum(float(z[i] @ z[p]) / tau - math.log(denom) for p in pos) / len(pos))
    return sum(losses) / len(losses)


@pytest.mark.parametrize("views", [1, 2, 3])
@pytest.mark.parametrize("tau", [0.1, 0.5])
def test_supcon_matches_naive_loop(views, tau):
    torch.manual_seed(0)
    emb = torch.randn(8, views, 6, dtype=torch.float64)
    labels = torch.tensor([0, 1, 0, 2, 1, 0, 3, 2])  # label 3 alone: with one view it has no positive
    got = InfoNCELoss(tau)(LabelSampler()(emb, labels)).item()
    assert got == pytest.approx(naive_supcon(emb, labels, tau), rel=1e-9)


def test_supcon_with_one_positive_per_anchor_is_infonce():
    """Each label twice, one view: every anchor has exactly one positive (its partner), the anchor itself
    leaves the denominator -> cross-entropy over the similarity row with the diagonal masked (NT-Xent)."""
    torch.manual_seed(1)
    emb = torch.randn(6, 1, 5)
    labels = torch.tensor([0, 1, 2, 0, 1, 2])
    got = InfoNCELoss(0.1)(LabelSampler()(emb, labels))
    z = torch.nn.functional.normalize(emb[:, 0], dim=-1)
    logits = (z @ z.T / 0.1).masked_fill(torch.eye(6, dtype=torch.bool), float("-inf"))
    partner = torch.tensor([3, 4, 5, 0, 1, 2])
    torch.testing.assert_close(got, torch.nn.functional.cross_entropy(logits, partner))


def test_supcon_with_unique_labels_and_two_views_is_nt_xent():
    """Distinct labels, two dropout views: SupCon reduces to SimCLR's NT-Xent over 2B views."""
    torch.manual_seed(2)
    b = 4
    emb = torch.randn(b, 2, 5)
    got = InfoNCELoss(0.2)(LabelSampler()(emb, torch.arange(b)))
    z = torch.nn.functional.normalize(torch.cat([emb[:, 0], emb[:, 1]]), dim=-1)
    logits = (z @ z.T / 0.2).masked_fill(torch.eye(2 * b, dtype=torch.bool), float("-inf"))
    target = torch.cat([torch.arange(b, 2 * b), torch.arange(b)])
    torch.testing.assert_close(got, torch.nn.functional.cross_entropy(logits, target))


def test_label_sampler_mask_and_errors():
    emb = torch.randn(3, 2, 4)
    pairs = LabelSampler()(emb, torch.tensor([5, 7, 5]))
    assert pairs.anchors.shape == (6, 4) and not pairs.positive_mask.diagonal().any()
    assert pairs.negative_weight.diagonal().sum() == 0 and pairs.negative_weight.sum() == 30
    assert int(pairs.positive_mask[0].sum()) == 3  # its other view + example 2's two views
    with pytest.raises(ValueError, match="needs class labels"):
        LabelSampler()(emb, None)
    with pytest.raises(ValueError, match="integer class labels"):
        LabelSampler()(emb, torch.tensor([0.5, 0.1, 0.2]))


def supcontrast_reference(features, labels, temperature, base_temperature):
    """HobbitLong/SupContrast losses.py:44-106 (contrast_mode='all', labels given), on normalised features
    (the reference's model normalises them); features (B, V, D)."""
    features = torch.nn.functional.normalize(features, dim=-1)
    batch_size, contrast_count = features.shape[:2]
    labels = labels.contiguous().view(-1, 1)
    mask = torch.eq(labels, labels.T).to(features.dtype)
    contrast_feature = torch.cat(torch.unbind(features, dim=1), dim=0)
    anchor_feature, anchor_count = contrast_feature, contrast_count
    anchor_dot_contrast = torch.div(torch.matmul(anchor_feature, contrast_feature.T), temperature)
    logits_max, _ = torch.max(anchor_dot_contrast, dim=1, keepdim=True)
    logits = anchor_dot_contrast - logits_max.detach()
    mask = mask.repeat(anchor_count, contrast_count)
    logits_mask = torch.scatter(torch.ones_like(mask), 1, torch.arange(batch_size * anchor_count).view(-1, 1), 0)
    mask = mask * logits_mask
    exp_logits = torch.exp(logits) * logits_mask
    log_prob = logits - torch.log(exp_logits.sum(1, keepdim=True))
    mask_pos_pairs = mask.sum(1)
    mask_pos_pairs = torch.where(mask_pos_pairs < 1e-6, 1, mask_pos_pairs)
    mean_log_prob_pos = (mask * log_prob).sum(1) / mask_pos_pairs
    loss = - (temperature / base_temperature) * mean_log_prob_pos
    return loss.view(anchor_count, batch_size).mean()


@pytest.mark.parametrize("tau,base", [(0.1, 0.07), (0.07, 0.07), (0.5, 0.07), (0.1, 0.1)])
def test_supcon_loss_and_gradient_match_supcontrast(tau, base):
    from sentemb.losses.supcon import SupConLoss

    torch.manual_seed(3)
    emb = torch.randn(8, 2, 6, dtype=torch.float64, requires_grad=True)
    labels = torch.tensor([0, 1, 0, 2, 1, 0, 3, 2])  # with two views every anchor has a positive
    got = SupConLoss(tau, base)(LabelSampler()(emb, labels))
    ref = supcontrast_reference(emb, labels, tau, base)
    torch.testing.assert_close(got, ref, rtol=1e-10, atol=1e-12)
    torch.testing.assert_close(torch.autograd.grad(got, emb)[0], torch.autograd.grad(ref, emb)[0], rtol=1e-8,
                               atol=1e-12)


def test_supcon_base_temperature_scales_l_out_and_null_leaves_it():
    from sentemb.losses.supcon import SupConLoss

    torch.manual_seed(4)
    emb, labels = torch.randn(6, 2, 5, dtype=torch.float64), torch.tensor([0, 1, 2, 0, 1, 2])
    pairs = LabelSampler()(emb, labels)
    l_out = InfoNCELoss(0.1)(pairs)
    torch.testing.assert_close(SupConLoss(0.1, 0.07)(pairs), l_out * (0.1 / 0.07))
    torch.testing.assert_close(SupConLoss(0.1, None)(pairs), l_out)
    with pytest.raises(ValueError, match="loss.base_temperature must be > 0"):
        SupConLoss(0.1, 0.0)


def test_supcon_yaml_defaults_to_the_references_base_temperature(tmp_path):
    from hydra.utils import instantiate

    from conftest import compose_config
    from sentemb.losses.supcon import SupConLoss

    loss = instantiate(compose_config(["model=supcon"], tmp_path).loss)
    assert isinstance(loss, SupConLoss) and loss.temperature == 0.1 and loss.base_temperature == 0.07
    assert loss.config_name == "supcon"
