"""Length-sorted sub-batches (model.sub_batches) change no method's loss or gradients: with dropout off, the
sub-batched training step equals the one-forward step within 1e-5 for simcse_unsup, simcse_sup, arccse (its
triplet views go through module.embed too) and vascl, on the tiny random BERT; GradCache chunks are
sub-batched the same way; the setting runs through the entry point and bad values are refused."""

from __future__ import annotations

import pytest
import torch
from hydra.utils import instantiate

import sentemb.encoder.subbatch as subbatch
import sentemb.methods.grad_cache as gc
from conftest import compose_config
from sentemb.train import train
from sentemb.training.build import build_module

METHODS = {
    "simcse_unsup": [],
    "simcse_sup": ["model=simcse_sup", "data.max_rows=64"],  # its default data: SNLI triplets (3 views)
    "arccse": ["model=arccse"],
    "vascl": ["model=vascl", "sampler.k=4"],
}


def overrides_for(method: str, tiny_overrides: list[str]) -> list[str]:
    """The tiny backbone and cache; the tiny text corpus unless the method reads its own data."""
    own_data = any(o.startswith("model=simcse_sup") for o in METHODS[method])
    base = [o for o in tiny_overrides if not (own_data and o.startswith("data"))]
    return [*base, "data.batch_size=16", *METHODS[method]]


def first_batch(cfg, module):
    dm = instantiate(cfg.data, tokenizer=module.encoder.tokenizer, batch_builder=instantiate(cfg.model.batch_builder))
    dm.setup("fit")
    return next(iter(dm.train_dataloader()))


def step(module, batch):
    """The automatic-optimisation training step's loss (main + auxiliary terms) and parameter gradients."""
    module.zero_grad(set_to_none=True)
    torch.manual_seed(3)  # VaSCL's perturbation starts from random noise: the same draw in both steps
    loss = module.training_step(batch, 0)
    loss.backward()
    grads = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    return loss.detach(), grads


@pytest.fixture
def chunk_calls(monkeypatch):
    """Records the row count of every chunk encoded by `embed_in_sub_batches`."""
    calls = []
    original = subbatch.length_sorted_chunks

    def spy(mask, rule):
        chunks = original(mask, rule)
        calls.append([len(rows) for rows, _ in chunks])
        return chunks

    monkeypatch.setattr(subbatch, "length_sorted_chunks", spy)
    return calls


@pytest.mark.parametrize("method", sorted(METHODS))
def test_sub_batched_step_equals_the_one_forward_step(method, tiny_overrides, tmp_path, chunk_calls):
    cfg = compose_config(overrides_for(method, tiny_overrides), tmp_path / "run")
    module = build_module(cfg)
    module.log = lambda *a, **k: None  # no trainer attached
    module.eval()  # dropout off: both steps are deterministic
    batch = first_batch(cfg, module)
    module.hparams.sub_batches = None
    ref_loss, ref_grads = step(module, batch)
    assert chunk_calls and all(len(calls) == 1 for calls in chunk_calls)  # off: one forward pass each
    chunk_calls.clear()
    module.hparams.sub_batches = 4
    loss, grads = step(module, batch)
    assert any(len(calls) > 1 for calls in chunk_calls), "the batch was never split"
    if method == "arccse":  # the main views and the masked-span triplets, both through module.embed
        assert len(chunk_calls) == 2 and all(len(calls) > 1 for calls in chunk_calls)
    torch.testing.assert_close(loss, ref_loss, atol=1e-5, rtol=0)
    assert ref_grads.keys() == grads.keys() and len(grads) > 0
    for name, g in grads.items():
        torch.testing.assert_close(g, ref_grads[name], atol=1e-5, rtol=0, msg=name)  # the issue: within 1e-5


def test_embeddings_keep_the_batch_order(tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, "data.batch_size=16"], tmp_path / "run")
    module = build_module(cfg).eval()
    batch = first_batch(cfg, module)
    module.hparams.sub_batches = 4
    with torch.no_grad():
        embeddings = module.embed(batch)
        b, v, length = batch.input_ids.shape
        assert embeddings.shape[:2] == (b, v)
        for row in range(b):
            for view in range(v):
                ids, mask = batch.input_ids[row, view], batch.attention_mask[row, view]
                n = int(mask.sum())
                alone = module.encoder(ids[None, :n], mask[None, :n])[0]  # this sentence, no padding
                torch.testing.assert_close(embeddings[row, view], alone, atol=1e-5, rtol=1e-4)


def test_grad_cache_chunks_are_sub_batched_and_keep_the_gradients(tiny_overrides, tmp_path, chunk_calls):
    cfg = compose_config([*tiny_overrides, "data.batch_size=16"], tmp_path / "run")
    module = build_module(cfg).eval()
    batch = first_batch(cfg, module)
    module.hparams.sub_batches = None
    module.zero_grad(set_to_none=True)
    ref_loss = module.loss_fn(module.sampler(module.embed(batch)))
    ref_loss.backward()
    ref = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    chunk_calls.clear()
    module.hparams.sub_batches = 3
    module.zero_grad(set_to_none=True)
    loss = gc.grad_cache_backward(module, batch, 8)  # 2 GradCache chunks, each in up to 3 sub-batches
    got = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    assert len(chunk_calls) == 4 and all(len(calls) > 1 for calls in chunk_calls)  # 2 chunks x (cache + replay)
    torch.testing.assert_close(loss, ref_loss.detach(), atol=1e-5, rtol=0)
    assert got.keys() == ref.keys() and len(got) > 0
    for name, g in got.items():
        torch.testing.assert_close(g, ref[name], atol=1e-5, rtol=0, msg=name)


def test_grad_cache_with_dropout_replays_the_sub_batches(tiny_overrides, tmp_path):
    """Dropout on: GradCache's replayed sub-batched pass draws the masks of its cached pass, so its gradients
    equal one backward through the same sub-batched chunks."""
    cfg = compose_config([*tiny_overrides, "data.batch_size=16", "model.sub_batches=3"], tmp_path / "run")
    module = build_module(cfg).train()
    batch = first_batch(cfg, module)
    torch.manual_seed(5)
    reps = torch.cat([module.embed(c) for c in gc.split_batch(batch, 8)])
    ref_loss = module.loss_fn(module.sampler(reps))
    ref_loss.backward()
    ref = {n: p.grad.clone() for n, p in module.named_parameters() if p.grad is not None}
    module.zero_grad(set_to_none=True)
    torch.manual_seed(5)
    loss = gc.grad_cache_backward(module, batch, 8)
    torch.testing.assert_close(loss, ref_loss.detach(), atol=1e-6, rtol=0)
    for name, p in module.named_parameters():
        if p.grad is not None:
            torch.testing.assert_close(p.grad, ref[name], atol=1e-5, rtol=0, msg=name)


@pytest.mark.parametrize("setting", ["null", "auto", "2"])
def test_setting_runs_through_the_entry_point(setting, tiny_overrides, tmp_path):
    cfg = compose_config([*tiny_overrides, f"model.sub_batches={setting}", "trainer.max_steps=2", "callbacks=none",
                          "eval=align_uniform"], tmp_path / "run")
    train(cfg)
    assert (tmp_path / "run" / "model" / "model.safetensors").exists()


@pytest.mark.parametrize("setting", [0, -1, "many", True, 2.5])
def test_bad_setting_is_refused(setting, tiny_backbone_factory):
    from sentemb.losses.infonce import InfoNCELoss
    from sentemb.methods.contrastive import ContrastiveModule
    from sentemb.samplers.in_batch import InBatchSampler

    with pytest.raises(ValueError, match=r"model.sub_batches must be null \(off\), 'auto' or an integer >= 1"):
        ContrastiveModule(tiny_backbone_factory(), InfoNCELoss(0.05), InBatchSampler(), sub_batches=setting)
