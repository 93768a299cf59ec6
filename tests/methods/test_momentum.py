"""The momentum (EMA) encoder and its use for false-negative detection (sampler.momentum)."""

from __future__ import annotations

import pytest
import torch

from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.methods.momentum import MomentumEncoder
from sentemb.samplers.false_negative import FalseNegativeSampler


def test_ema_update_frozen_eval_copy(tiny_backbone_factory):
    online = SentenceEncoder(tiny_backbone_factory(0), "mean")
    ema = MomentumEncoder(online, 0.9)
    before = [p.clone() for p in ema.encoder.parameters()]
    assert not any(p.requires_grad for p in ema.encoder.parameters())
    ema.train()
    assert not ema.encoder.training and not ema.encoder.model.training
    with torch.no_grad():
        for p in online.parameters():
            p.add_(1.0)
    ema.update(online)
    for old, new, cur in zip(before, ema.encoder.parameters(), online.parameters()):
        torch.testing.assert_close(new, 0.9 * old + 0.1 * cur)
    MomentumEncoder(online, 0.0).update(online)  # m = 0 copies
    ids = torch.tensor([[[101, 2000, 102], [101, 2000, 102]]])
    emb = ema.embed(ids, torch.ones_like(ids))
    assert emb.shape == (1, 2, 32) and not emb.requires_grad
    # No dropout in the frozen copy: both views agree up to kernel rounding (dropout would differ by ~0.1).
    torch.testing.assert_close(emb[:, 0], emb[:, 1], rtol=1e-5, atol=1e-5)
    with pytest.raises(ValueError, match="sampler.momentum"):
        MomentumEncoder(online, 1.0)


def test_top_k_follows_the_detection_embeddings():
    """Detection by the momentum embeddings, not the trained ones: the flagged neighbour follows them."""
    a = torch.tensor([[1.0, 0.0], [0.8, 0.6], [-1.0, 0.05], [-0.9, -0.4]])
    train = torch.stack([a, a], 1)
    detect = torch.stack([a[[0, 2, 1, 3]]] * 2, 1)  # rows 1 and 2 swapped: 0's nearest is now row 2
    sampler = FalseNegativeSampler(same_text=False, same_label=False, top_k=1, momentum=0.99)
    pairs = sampler(train, None, detect_embeddings=detect)
    assert (pairs.negative_weight[0] == 0).nonzero().flatten().tolist() == [2]
    with pytest.raises(ValueError, match="momentum encoder's embeddings"):
        sampler(train)
    with pytest.raises(ValueError, match="top_k / threshold"):
        FalseNegativeSampler(momentum=0.9)


def test_fast_dev_run_with_momentum_detection(tiny_overrides, tmp_path, monkeypatch):
    from conftest import compose_config
    from sentemb.train import train

    updates = []
    original = MomentumEncoder.update
    monkeypatch.setattr(MomentumEncoder, "update", lambda self, online: updates.append(1) or original(self, online))
    cfg = compose_config([*tiny_overrides, "sampler=false_negative", "sampler.top_k=1", "sampler.momentum=0.9",
                          "callbacks=none", "trainer.fast_dev_run=true"], tmp_path / "run")
    train(cfg)
    assert updates == [1]  # the module built the momentum copy from sampler.momentum and updated it once
