"""GradCache gives the gradients of the plain step on the same batch, dropout on."""

from __future__ import annotations

import pytest
import torch

import sentemb.methods.grad_cache as gc
from sentemb.data.batches import DropoutPairBuilder
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.samplers.in_batch import InBatchSampler

SENTENCES = [f"sentence {i} " + "word " * (i % 5) + f"about {i * 3}" for i in range(10)]


@pytest.fixture
def module(tiny_backbone_factory):
    return ContrastiveModule(tiny_backbone_factory(), InfoNCELoss(0.05), InBatchSampler(), pooling="mean").train()


def make_batch(module):
    tok = module.encoder.tokenizer
    return DropoutPairBuilder(tok)([{"input_ids": tok(s)["input_ids"], "index": i} for i, s in enumerate(SENTENCES)])


def grads(module):
    out = [p.grad.clone() for p in module.parameters() if p.grad is not None]
    module.zero_grad()
    return out


def plain_step(module, batch, chunk_size):
    """Reference: the same chunks embedded with graphs kept (the same dropout draws), one backward."""
    reps = torch.cat([module.embed(c) for c in gc.split_batch(batch, chunk_size)])
    loss = module.loss_fn(module.sampler(reps))
    loss.backward()
    return loss.detach()


def test_grad_cache_equals_plain_step_with_dropout_on(module):
    batch = make_batch(module)
    torch.manual_seed(11)
    ref_loss = plain_step(module, batch, 3)
    ref = grads(module)
    torch.manual_seed(11)
    loss = gc.grad_cache_backward(module, batch, 3)
    got = grads(module)
    assert loss.item() == pytest.approx(ref_loss.item(), abs=1e-6)
    assert len(got) == len(ref) > 0
    for g, r in zip(got, ref):
        torch.testing.assert_close(g, r, atol=1e-5, rtol=1e-4)


def test_without_rng_replay_the_gradients_differ(module, monkeypatch):
    batch = make_batch(module)
    torch.manual_seed(11)
    plain_step(module, batch, 3)
    ref = grads(module)

    class NoReplay:
        def __init__(self, device):
            pass

        def __enter__(self):
            return None

        def __exit__(self, *exc):
            return False

    monkeypatch.setattr(gc, "ReplayRNG", NoReplay)
    torch.manual_seed(11)
    gc.grad_cache_backward(module, batch, 3)
    got = grads(module)
    assert any(not torch.allclose(g, r, atol=1e-5) for g, r in zip(got, ref))


def test_without_dropout_chunks_equal_the_whole_batch(module):
    module.eval()
    batch = make_batch(module)
    module.loss_fn(module.sampler(module.embed(batch))).backward()
    ref = grads(module)
    gc.grad_cache_backward(module, batch, 4)
    for g, r in zip(grads(module), ref):
        torch.testing.assert_close(g, r, atol=1e-5, rtol=1e-4)


def test_grad_cache_trains_in_lightning(tiny_overrides, tmp_path):
    from conftest import compose_config
    from sentemb.train import train

    cfg = compose_config([*tiny_overrides, "model.grad_cache_chunk_size=3", "trainer.max_steps=2",
                          "callbacks=none", "eval=align_uniform"], tmp_path / "run")
    train(cfg)
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()


def test_gradient_accumulation_with_in_batch_negatives_warns(tiny_overrides, tmp_path):
    from conftest import compose_config
    from sentemb.train import train

    cfg = compose_config([*tiny_overrides, "trainer.accumulate_grad_batches=2", "trainer.max_steps=1",
                          "callbacks=none", "eval=align_uniform"], tmp_path / "run")
    with pytest.warns(UserWarning, match="does not enlarge the pool of in-batch negatives"):
        train(cfg)
