"""Pair losses (SBERT softmax, cosine regression, CoSENT) and the triplet loss against naive loops."""

import math

import pytest
import torch

from sentemb.losses.cosent import CoSENTLoss
from sentemb.losses.cosine_regression import CosineRegressionLoss
from sentemb.losses.sbert_softmax import SoftmaxClassifierLoss
from sentemb.losses.triplet import TripletLoss
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.paired import PairedSampler
from sentemb.samplers.pairs import ContrastivePairs


def cos(a, b):
    return float(torch.nn.functional.cosine_similarity(a, b, dim=0))


def pairs_of(b=6, d=5, labels=None, seed=0):
    torch.manual_seed(seed)
    emb = torch.randn(b, 2, d, dtype=torch.float64)
    return emb, PairedSampler()(emb, labels)


def test_paired_sampler_rows_and_labels():
    labels = torch.tensor([0.1, 0.5, 0.9])
    emb, pairs = pairs_of(3, labels=labels)
    torch.testing.assert_close(pairs.anchors, emb[:, 0])
    torch.testing.assert_close(pairs.candidates, emb[:, 1])
    assert torch.equal(pairs.positive_mask, torch.eye(3, dtype=torch.bool)) and pairs.pair_labels is labels
    with pytest.raises(ValueError, match="2 views"):
        PairedSampler()(torch.randn(3, 1, 4))


def test_softmax_classifier_matches_naive_loop():
    labels = torch.tensor([0, 2, 1, 1, 0, 2])
    emb, pairs = pairs_of(labels=labels)
    loss = SoftmaxClassifierLoss(3, embedding_dim=5).double()
    w, bias = loss.classifier.weight.detach(), loss.classifier.bias.detach()
    total = 0.0
    for i in range(6):
        u, v = emb[i, 0], emb[i, 1]
        feats = torch.cat([u, v, (u - v).abs()])
        scores = [float(w[k] @ feats + bias[k]) for k in range(3)]
        total += -(scores[int(labels[i])] - math.log(sum(math.exp(s) for s in scores)))
    assert loss(pairs).item() == pytest.approx(total / 6, rel=1e-9)


def test_softmax_classifier_is_built_by_the_module_and_trained(tiny_backbone_factory):
    from sentemb.methods.contrastive import ContrastiveModule

    loss = SoftmaxClassifierLoss(3)
    module = ContrastiveModule(tiny_backbone_factory(), loss, PairedSampler(), pooling="mean")
    assert loss.classifier.in_features == 3 * module.encoder.hidden_size
    names = {n for n, _ in module.named_parameters()}
    assert {"loss_fn.classifier.weight", "loss_fn.classifier.bias"} <= names  # the optimizer sees them
    before = loss.classifier.weight.detach().clone()
    opt = torch.optim.SGD(module.parameters(), lr=0.5)
    emb = torch.randn(4, 2, module.encoder.hidden_size)
    loss(PairedSampler()(emb, torch.tensor([0, 1, 2, 0]))).backward()
    opt.step()
    assert not torch.equal(before, loss.classifier.weight)


def test_softmax_classifier_errors():
    _, pairs = pairs_of(labels=None)
    with pytest.raises(ValueError, match="sampler=paired"):
        SoftmaxClassifierLoss(3, 5)(pairs)
    _, pairs = pairs_of(labels=torch.rand(6))
    with pytest.raises(ValueError, match="integer class labels"):
        SoftmaxClassifierLoss(3, 5).double()(pairs)
    _, pairs = pairs_of(labels=torch.tensor([0, 1, 2, 3, 0, 1]))
    with pytest.raises(ValueError, match="loss.num_labels"):
        SoftmaxClassifierLoss(3, 5).double()(pairs)
    with pytest.raises(RuntimeError, match="set_embedding_dim"):
        SoftmaxClassifierLoss(3)(PairedSampler()(torch.randn(2, 2, 4), torch.tensor([0, 1])))


def test_cosine_regression_matches_naive_loop():
    labels = torch.tensor([0.0, 0.2, 0.4, 0.6, 0.8, 1.0], dtype=torch.float64)
    emb, pairs = pairs_of(labels=labels)
    naive = sum((cos(emb[i, 0], emb[i, 1]) - float(labels[i])) ** 2 for i in range(6)) / 6
    assert CosineRegressionLoss()(pairs).item() == pytest.approx(naive, rel=1e-9)


def naive_cosent(emb, labels, scale):
    total = 1.0
    n = emb.shape[0]
    for i in range(n):
        for j in range(n):
            if labels[i] > labels[j]:
                total += math.exp(scale * (cos(emb[j, 0], emb[j, 1]) - cos(emb[i, 0], emb[i, 1])))
    return math.log(total)


@pytest.mark.parametrize("scale", [1.0, 20.0])
def test_cosent_matches_naive_loop(scale):
    labels = torch.tensor([3.2, 0.5, 4.8, 3.2, 1.0, 2.5], dtype=torch.float64)  # ties give no term
    emb, pairs = pairs_of(labels=labels, seed=3)
    assert CoSENTLoss(scale)(pairs).item() == pytest.approx(naive_cosent(emb, labels, scale), rel=1e-9)


def test_cosent_equal_labels_give_zero_and_errors():
    _, pairs = pairs_of(labels=torch.ones(6, dtype=torch.float64))
    assert CoSENTLoss()(pairs).item() == 0.0
    with pytest.raises(ValueError, match="loss=cosent needs a label per pair"):
        CoSENTLoss()(pairs_of(labels=None)[1])
    with pytest.raises(ValueError, match="row-aligned"):
        CoSENTLoss()(ContrastivePairs(torch.randn(2, 3), torch.randn(4, 3), torch.zeros(2, 4, dtype=torch.bool),
                                      pair_labels=torch.ones(2)))
    with pytest.raises(ValueError, match="loss.scale"):
        CoSENTLoss(0.0)


def test_cosent_falls_when_cosines_follow_the_scores():
    torch.manual_seed(4)
    emb = torch.randn(8, 2, 6, requires_grad=True)
    labels = torch.arange(8, dtype=torch.float32)
    opt = torch.optim.SGD([emb], lr=0.1)
    first = CoSENTLoss()(PairedSampler()(emb, labels)).item()
    for _ in range(50):
        opt.zero_grad()
        loss = CoSENTLoss()(PairedSampler()(emb, labels))
        loss.backward()
        opt.step()
    assert loss.item() < first * 0.5


def dist(a, b, distance):
    return float((a - b).norm()) if distance == "euclidean" else 1.0 - cos(a, b)


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
@pytest.mark.parametrize("margin", [0.0, 0.5, 5.0])
def test_triplet_own_negative_matches_naive_loop(distance, margin):
    torch.manual_seed(5)
    emb = torch.randn(5, 3, 4, dtype=torch.float64)
    got = TripletLoss(margin, distance, "own")(InBatchSampler()(emb)).item()
    naive = sum(max(dist(emb[i, 0], emb[i, 1], distance) - dist(emb[i, 0], emb[i, 2], distance) + margin, 0.0)
                for i in range(5)) / 5
    assert got == pytest.approx(naive, rel=1e-9, abs=1e-12)


@pytest.mark.parametrize("distance", ["euclidean", "cosine"])
def test_triplet_all_and_hardest_match_naive_loops(distance):
    torch.manual_seed(6)
    emb = torch.randn(4, 3, 4, dtype=torch.float64)
    pairs = InBatchSampler()(emb)
    a, c = pairs.anchors, pairs.candidates
    terms, hard = [], []
    for i in range(4):
        pos = [j for j in range(8) if pairs.positive_mask[i, j]]
        neg = [j for j in range(8) if not pairs.positive_mask[i, j]]
        terms += [max(dist(a[i], c[p], distance) - dist(a[i], c[n], distance) + 0.3, 0.0) for p in pos for n in neg]
        hard.append(max(max(dist(a[i], c[p], distance) for p in pos)
                        - min(dist(a[i], c[n], distance) for n in neg) + 0.3, 0.0))
    assert TripletLoss(0.3, distance, "all")(pairs).item() == pytest.approx(sum(terms) / len(terms), rel=1e-9)
    assert TripletLoss(0.3, distance, "hardest")(pairs).item() == pytest.approx(sum(hard) / 4, rel=1e-9)


def test_triplet_errors():
    with pytest.raises(ValueError, match="loss.negatives=own needs hard negatives"):
        TripletLoss()(InBatchSampler()(torch.randn(4, 2, 3)))
    with pytest.raises(ValueError, match="loss.distance"):
        TripletLoss(distance="manhattan")
    with pytest.raises(ValueError, match="loss.margin"):
        TripletLoss(margin=-1)
