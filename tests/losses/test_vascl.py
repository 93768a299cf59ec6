"""VaSCL as released (sentemb.methods.vascl): the terms against naive loops, the full training step on the tiny
random BERT against a transcription of amazon-science/sentence-representations' VaSCL code (losses, values,
every parameter's gradient, which term reaches which parameters), activity, the optimiser contract, and a few
steps through the entry point."""

from __future__ import annotations

import copy
import csv
import os
import subprocess
import sys

import pytest
import torch
from torch import nn
from torch.nn import functional as F

from conftest import SENTENCES
from sentemb.data.batches import Batch
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.methods.optim import LRScaled, adamw_linear_schedule
from sentemb.methods.vascl import (
    ProjectionHead,
    VaSCLLoss,
    bi_neighbourhood_loss,
    nt_xent,
    random_start,
    uni_neighbourhood_loss,
)
from sentemb.paths import PROJECT_ROOT
from sentemb.samplers.in_batch import InBatchSampler
from sentemb.samplers.knn import KnnSampler
from sentemb.samplers.pairs import ContrastivePairs

# ---- naive loops of the three terms (unit features; similarities / tau) ----


def naive_nt_xent(f1, f2, tau):
    feats, b, rows = torch.cat([f1, f2]), f1.shape[0], []
    for i in range(2 * b):
        partner = (i + b) % (2 * b)
        pos = torch.exp(feats[i] @ feats[partner] / tau)
        neg = sum(torch.exp(feats[i] @ feats[j] / tau) for j in range(2 * b) if j not in (i, partner))
        rows.append(-torch.log(pos / (pos + neg)))
    return torch.stack(rows)


def naive_uni(a, v, nbr, tau):
    return torch.stack([-torch.log(torch.exp(a[i] @ v[i] / tau) / (torch.exp(a[i] @ v[i] / tau) + sum(
        torch.exp(v[i] @ a[j] / tau) for j in nbr[i].tolist()))) for i in range(a.shape[0])])


def naive_bi(a, v, nbr, tau):
    rows = []
    for x in (a, v):
        for i in range(a.shape[0]):
            pos = torch.exp(a[i] @ v[i] / tau)
            neg = sum(torch.exp(x[i] @ a[j] / tau) + torch.exp(x[i] @ v[j] / tau) for j in nbr[i].tolist())
            rows.append(-torch.log(pos / (pos + neg)))
    return torch.stack(rows)


def unit(*shape, seed=0):
    return F.normalize(torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64), dim=-1)


def test_terms_match_naive_loops():
    a, v, f2 = unit(8, 16, seed=0), unit(8, 16, seed=1), unit(8, 16, seed=2)
    nbr = KnnSampler(k=3)(torch.stack([a, f2], 1)).neighbours
    torch.testing.assert_close(nt_xent(a, f2, 0.1), naive_nt_xent(a, f2, 0.1))
    torch.testing.assert_close(uni_neighbourhood_loss(a, v, nbr, 0.1), naive_uni(a, v, nbr, 0.1))
    torch.testing.assert_close(bi_neighbourhood_loss(a, v, nbr, 0.1), naive_bi(a, v, nbr, 0.1))


# ---- the release, transcribed (VaSCL/learners/contrastive_utils.py, vat_utils.py, models/Transformers.py,
# training.py:109-125), with .cuda(), prints and nn.DataParallel's `.module` removed ----


class ReleaseContrastiveLoss(nn.Module):
    def __init__(self, temperature=0.05):
        super().__init__()
        self.temperature = temperature

    def forward(self, features_1, features_2):
        batch_size = features_1.shape[0]
        features = torch.cat([features_1, features_2], dim=0)
        mask = ~torch.eye(batch_size, dtype=torch.bool).repeat(2, 2)
        pos = torch.exp(torch.sum(features_1 * features_2, dim=-1) / self.temperature)
        pos = torch.cat([pos, pos], dim=0)
        neg = torch.exp(torch.mm(features, features.t().contiguous()) / self.temperature)
        neg = neg.masked_select(mask).view(2 * batch_size, -1)
        return (-torch.log(pos / (neg.sum(dim=-1) + pos))).mean()


def release_uni(features_1, features_2, hard_indices, temperature):
    batch_size = features_1.shape[0]
    mask = ~torch.eye(batch_size, dtype=torch.bool)
    pos = torch.exp(torch.sum(features_1 * features_2, dim=-1) / temperature)
    neg = torch.exp(torch.mm(features_2, features_1.t().contiguous()) / temperature)
    neg = neg.masked_select(mask).view(batch_size, -1)
    hard_mask = torch.zeros_like(neg, dtype=torch.int32).scatter_(1, hard_indices, 1) > 0
    hardneg = neg.masked_select(hard_mask).view(batch_size, -1)
    return (-torch.log(pos / (hardneg.sum(dim=-1) + pos))).mean()


def release_bi(features_1, features_2, hard_indices, temperature):
    batch_size = features_1.shape[0]
    features = torch.cat([features_1, features_2], dim=0)
    mask = ~torch.eye(batch_size, dtype=torch.bool).repeat(2, 2)
    pos = torch.exp(torch.sum(features_1 * features_2, dim=-1) / temperature)
    pos = torch.cat([pos, pos], dim=0)
    neg = torch.exp(torch.mm(features, features.t().contiguous()) / temperature)
    neg = neg.masked_select(mask).view(2 * batch_size, -1)
    hard_mask = torch.zeros(int(neg.shape[0] / 2), int(neg.shape[1] / 2), dtype=torch.int32)
    hard_mask = (hard_mask.scatter_(1, hard_indices, 1) > 0).repeat(2, 2)
    hardneg = neg.masked_select(hard_mask).view(2 * batch_size, -1)
    return (-torch.log(pos / (hardneg.sum(dim=-1) + pos))).mean()


def l2_normalize(d):
    return d / (torch.norm(d.view(d.shape[0], -1), dim=1, keepdim=True) + 1e-8)


class ReleaseModel(nn.Module):
    def __init__(self, bert, contrast_head):
        super().__init__()
        self.bert, self.contrast_head = bert, contrast_head

    def get_mean_embeddings(self, input_ids, attention_mask):
        out = self.bert(input_ids=input_ids, attention_mask=attention_mask)[0]
        attention_mask = attention_mask.unsqueeze(-1)
        return torch.sum(out * attention_mask, dim=1) / torch.sum(attention_mask, dim=1)

    def contrast_logits(self, embd):
        return F.normalize(self.contrast_head(embd), dim=1)

    def forward(self, input_ids, attention_mask, topk):
        m1 = self.get_mean_embeddings(input_ids[:, 0], attention_mask[:, 0])
        m2 = self.get_mean_embeddings(input_ids[:, 1], attention_mask[:, 1])
        inner_prod = torch.mm(m1, m1.t().contiguous())
        batch_size = input_ids.shape[0]
        inner_prod_neg = inner_prod.masked_select(~torch.eye(batch_size, dtype=torch.bool)).view(batch_size, -1)
        _, hard_indices = torch.topk(inner_prod_neg, k=topk, dim=-1)
        return m1, hard_indices, self.contrast_logits(m1), self.contrast_logits(m2)


def release_step(model, input_ids, attention_mask, topk, temperature, eps):
    """training.py:111-122 and VaSCL_Pturb.forward (vat_utils.py:50-74) with xi = eps, up to loss.backward()."""
    embeddings, hard_indices, feat1, feat2 = model(input_ids, attention_mask, topk)
    loss = ReleaseContrastiveLoss(temperature)(feat1, feat2)
    inputs = embeddings.detach()
    with torch.no_grad():
        cnst = model.contrast_logits(inputs)
    d = l2_normalize(torch.rand(inputs.shape).sub(0.5))
    d.requires_grad_()
    cnst_hat = model.contrast_logits(inputs + eps * d)
    release_uni(cnst, cnst_hat, hard_indices, temperature).backward(retain_graph=True)
    d = l2_normalize(d.grad)
    model.zero_grad()
    virtual = release_bi(cnst, model.contrast_logits(inputs + eps * d), hard_indices, temperature)
    total = loss + virtual
    total.backward()
    return total, loss, virtual, hard_indices


def two_view_batch(tokenizer, b=8):
    """Distinct texts in the two views, so that a swap of views or of rows would show."""
    texts = [s for i in range(b) for s in (SENTENCES[i], SENTENCES[(i + 3) % len(SENTENCES)])]
    enc = tokenizer(texts, padding=True, return_tensors="pt")
    return Batch(enc["input_ids"].view(b, 2, -1), enc["attention_mask"].view(b, 2, -1))


def vascl_module(backbone, k=3, temperature=0.05, eps=2.0):
    return ContrastiveModule(backbone, VaSCLLoss(temperature, eps=eps), KnnSampler(k), pooling="mean",
                             gather_across_devices=False, lr=5e-6, lr_schedule="constant")


def test_full_step_matches_the_release_with_its_gradient_paths(tiny_backbone_factory):
    k, tau, eps = 3, 0.05, 2.0
    # float64 and no dropout: both sides compute the same function, to rounding
    module = vascl_module(tiny_backbone_factory(0), k, tau, eps).double().eval()
    reference = ReleaseModel(copy.deepcopy(module.encoder.model), copy.deepcopy(module.loss_fn.head.module))
    batch = two_view_batch(module.encoder.tokenizer)
    logged = {}
    module.log = lambda name, value, **kw: logged.__setitem__(name, float(torch.as_tensor(value).detach()))

    torch.manual_seed(0)
    loss = module.training_step(batch, 0)
    loss.backward()
    torch.manual_seed(0)  # the same random start d0
    ref_loss, ref_pair, ref_virtual, hard_indices = release_step(reference, batch.input_ids, batch.attention_mask,
                                                                 k, tau, eps)
    torch.testing.assert_close(loss, ref_loss)
    assert logged["train/loss/vascl_pairwise"] == pytest.approx(ref_pair.item(), rel=1e-6)  # logged through a float32 tensor
    assert logged["train/loss/vascl_virtual"] == pytest.approx(ref_virtual.item(), rel=1e-6)  # logged through a float32 tensor
    # neighbours as released: the release's indices skip the diagonal, ours index the batch
    pairs = module.sampler(module.embed(batch))
    rows = torch.arange(8).unsqueeze(1)
    assert torch.equal(pairs.neighbours.sort(1).values, (hard_indices + (hard_indices >= rows)).sort(1).values)
    # every parameter's gradient, encoder and head, equals the release's
    ours = dict(module.encoder.model.named_parameters())
    for name, param in reference.bert.named_parameters():
        assert (ours[name].grad is None) == (param.grad is None), name
        if param.grad is not None:
            torch.testing.assert_close(ours[name].grad, param.grad)
    for ours_p, ref_p in zip(module.loss_fn.head.parameters(), reference.contrast_head.parameters(), strict=True):
        torch.testing.assert_close(ours_p.grad, ref_p.grad)


def test_which_term_reaches_which_parameters(tiny_backbone_factory):
    module = vascl_module(tiny_backbone_factory(0))
    batch = two_view_batch(module.encoder.tokenizer)
    encoder = [p for p in module.encoder.parameters() if p.requires_grad]
    head = list(module.loss_fn.head.parameters())
    pairs = module.sampler(module.embed(batch))
    virtual, d = module.loss_fn.virtual_term(pairs.anchors, pairs.neighbours)
    assert not d.requires_grad  # the direction is a constant
    grads = torch.autograd.grad(virtual.mean(), encoder + head, allow_unused=True, retain_graph=True)
    assert all(g is None for g in grads[: len(encoder)])  # the virtual term does not reach the encoder
    assert all(g is not None and g.abs().sum() > 0 for g in grads[len(encoder):])  # it trains the head
    pairwise = nt_xent(module.loss_fn.project(pairs.anchors), module.loss_fn.project(pairs.candidates), 0.05)
    grads = torch.autograd.grad(pairwise.mean(), encoder + head, allow_unused=True)
    assert sum(float(g.abs().sum()) for g in grads[: len(encoder)] if g is not None) > 0  # the pairwise term trains both
    assert all(g is not None and g.abs().sum() > 0 for g in grads[len(encoder):])


def test_each_term_acts_and_eps_zero_leaves_the_pairwise_term():
    emb = torch.randn(8, 2, 16, generator=torch.Generator().manual_seed(0), dtype=torch.float64)
    loss = VaSCLLoss(0.05, eps=1.0, embedding_dim=16).double()
    pairs = KnnSampler(k=3)(emb)
    total = loss(pairs)
    assert pairs.stats["loss/vascl_virtual"] > 0 and total.item() == pytest.approx(
        pairs.stats["loss/vascl_pairwise"] + pairs.stats["loss/vascl_virtual"])
    assert set(pairs.activity) == {"loss/vascl_pairwise", "loss/vascl_virtual", "loss/vascl_perturbation"}
    assert all(0 < v <= 1 for v in pairs.activity.values()), pairs.activity
    off = VaSCLLoss(0.05, eps=0.0, embedding_dim=16).double()
    off.load_state_dict(loss.state_dict())
    pairs = KnnSampler(k=3)(emb)
    f = off.project(pairs.anchors), off.project(pairs.candidates)
    assert torch.equal(off(pairs), nt_xent(*f, 0.05).mean()) and set(pairs.activity) == {"loss/vascl_pairwise"}


@pytest.mark.parametrize("seed", range(4))
def test_the_adversarial_direction_raises_the_neighbourhood_loss_over_its_start(seed):
    torch.manual_seed(seed)
    loss = VaSCLLoss(0.05, eps=1.0, embedding_dim=16)
    inputs = torch.randn(12, 16)
    nbr = KnnSampler(k=4)(torch.stack([inputs, inputs], 1)).neighbours
    a = loss.project(inputs).detach()
    start = random_start(inputs)
    torch.manual_seed(seed)  # direction() draws the same start
    d = loss.direction(inputs, a, nbr)
    norms = d.norm(dim=1)  # below 1 by the released "+ 1e-8" (the gradient of the batch mean is small)
    assert bool(((norms > 0.5) & (norms <= 1)).all()), norms
    before = uni_neighbourhood_loss(a, loss.project(inputs + start), nbr, 0.05)
    after = uni_neighbourhood_loss(a, loss.project(inputs + d), nbr, 0.05)
    assert after.mean() > before.mean()


def test_refusals_and_settings():
    emb = torch.randn(4, 3, 8)
    with pytest.raises(ValueError, match="sampler=knn"):
        VaSCLLoss(embedding_dim=8)(InBatchSampler()(emb[:, :2]))
    triplets = InBatchSampler()(emb)
    with pytest.raises(ValueError, match="two views per example.*not NLI triplets"):
        VaSCLLoss(embedding_dim=8)(ContrastivePairs(triplets.anchors, triplets.candidates, triplets.positive_mask,
                                                    neighbours=torch.zeros(4, 2, dtype=torch.long)))
    with pytest.raises(RuntimeError, match="set_embedding_dim"):
        VaSCLLoss()(KnnSampler(2)(emb[:, :2]))
    with pytest.raises(ValueError, match="loss.embedding_dim=8"):
        VaSCLLoss(embedding_dim=8).set_embedding_dim(16)
    for bad, match in [({"eps": -1.0}, "loss.eps"), ({"temperature": 0.0}, "loss.temperature"), ({"xi": 0.0}, "loss.xi"),
                       ({"head_dim": 0}, "loss.head_dim"), ({"head_lr_scale": 0.0}, "loss.head_lr_scale")]:
        with pytest.raises(ValueError, match=match):
            VaSCLLoss(**bad)


def test_the_head_trains_at_its_own_rate_and_the_schedule_is_constant(tiny_backbone_factory):
    module = vascl_module(tiny_backbone_factory(0))
    head = module.loss_fn.head
    assert isinstance(head, LRScaled) and head.lr_scale == 100.0
    assert [type(m) for m in head.module] == [nn.Linear, nn.ReLU, nn.Linear]
    assert head.module[0].bias is None and head.module[2].out_features == 128
    opt = adamw_linear_schedule(module, 5e-6, 0.0, 0.0, 10, "constant")
    optimizer, scheduler = opt["optimizer"], opt["lr_scheduler"]["scheduler"]
    lr_of = {id(p): g["lr"] for g in optimizer.param_groups for p in g["params"]}
    assert all(lr_of[id(p)] == pytest.approx(5e-4) for p in head.parameters())
    trained = [p for p in module.encoder.parameters() if p.requires_grad]  # not the unused (frozen) pooler
    assert all(lr_of[id(p)] == pytest.approx(5e-6) for p in trained)
    assert len(lr_of) == sum(1 for p in module.parameters() if p.requires_grad)
    for _ in range(9):
        optimizer.step()
        scheduler.step()
    assert sorted({g["lr"] for g in optimizer.param_groups}) == pytest.approx([5e-6, 5e-4])
    with pytest.raises(ValueError, match="model.lr_schedule"):
        adamw_linear_schedule(module, 5e-6, 0.0, 0.0, 10, "cosine")
    with pytest.raises(ValueError, match="nested"):
        LRScaled(nn.Sequential(LRScaled(ProjectionHead(4, 2), 2.0)), 3.0)


def test_entry_point_runs_model_vascl_and_logs_each_term_active(tiny_corpus, tmp_path):
    out = tmp_path / "run"
    args = [sys.executable, "-m", "sentemb.run", "model=vascl", "backbone=tiny_random", "data=text_file",
            f"data.path={tiny_corpus}", "data.batch_size=8", "sampler.k=4", "loss.eps=1.0", "trainer.max_steps=3",
            "trainer.log_every_n_steps=1", "callbacks=none", "eval=align_uniform", "save_model=false", "logger=csv",
            f"cache_dir={tmp_path / 'cache'}", f"hydra.run.dir={out}"]
    done = subprocess.run(args, cwd=PROJECT_ROOT, capture_output=True, text=True, timeout=600,
                          env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    with open(out / "csv" / "metrics.csv") as fh:
        rows = [r for r in csv.DictReader(fh) if r.get("train/loss/vascl_virtual_active")]
    assert len(rows) == 3
    for name in ("vascl_pairwise", "vascl_virtual", "vascl_perturbation"):
        assert all(float(r[f"train/loss/{name}_active"]) > 0 for r in rows), name
    assert all(float(r["train/loss/vascl_virtual"]) > 0 for r in rows)
