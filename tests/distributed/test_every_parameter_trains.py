"""DDP without `find_unused_parameters` needs a gradient for every trainable parameter at every step. One step of
each model (one process, the tiny random BERT) leaves a gradient on every parameter with requires_grad;
parameters a configuration never uses (the pooler unless pooling=cls, an idle objective's own layers) are
frozen, their weights kept."""

from __future__ import annotations

import pytest
import torch
from ddp_runs import supervised_data, tiny_ddp_overrides
from hydra.utils import instantiate

from conftest import compose_config
from sentemb.training.build import build_module

CASES = {
    "simcse_unsup": ["model=simcse_unsup"],
    "simcse_unsup_mean_no_head": ["model=simcse_unsup", "model.pooling=mean", "model.mlp_head=false"],
    "simcse_unsup_cls": ["model=simcse_unsup", "model.pooling=cls"],
    "simcse_unsup_first_last_avg": ["model=simcse_unsup", "model.pooling=first_last_avg"],
    "simcse_sup": ["model=simcse_sup"],
    "supcon": ["model=supcon"],
    "sbert": ["model=sbert"],
    "cosent": ["model=cosent"],
    "arccse": ["model=arccse"],
    "vascl": ["model=vascl", "sampler.k=3"],
    "simcse_unsup_mlm": ["model=simcse_unsup_mlm"],
    "simcse_unsup_mlm_off": ["model=simcse_unsup_mlm", "model.auxiliary.mlm.weight=0"],
    "grad_cache": ["model=simcse_unsup", "model.grad_cache_chunk_size=3"],
}


def one_step_grads(cfg) -> tuple[torch.nn.Module, dict[str, torch.Tensor | None]]:
    module = build_module(cfg)
    data = instantiate(cfg.data, tokenizer=module.encoder.tokenizer, batch_builder=instantiate(cfg.model.batch_builder))
    data.setup()
    batch = next(iter(data.train_dataloader()))
    if module.automatic_optimization:
        module.training_step(batch, 0).backward()
    else:  # GradCache's own backward passes
        from sentemb.methods.grad_cache import grad_cache_backward

        grad_cache_backward(module, batch, module.hparams.grad_cache_chunk_size)
    return module, {n: p.grad for n, p in module.named_parameters() if p.requires_grad}


@pytest.mark.parametrize("case", CASES)
def test_every_trainable_parameter_gets_a_gradient(case, tmp_path):
    overrides = CASES[case]
    data = supervised_data(tmp_path / "data").get(overrides[0].split("=", 1)[1], [])
    base = [o for o in tiny_ddp_overrides(tmp_path) if o != "hardware=ddp_cpu"
            and not (data and o.startswith(("data=", "data.path=")))]
    module, grads = one_step_grads(compose_config([*base, *data, *overrides], tmp_path / "run"))
    missing = [n for n, g in grads.items() if g is None]
    assert not missing, f"{case}: trainable parameters without a gradient (DDP would stop): {missing}"
    pooler = [n for n, _ in module.named_parameters() if ".pooler." in n]
    assert pooler, "the tiny BERT has a pooler"
    if "cls" not in overrides[1:] and "model.pooling=cls" not in overrides:
        assert not any(p.requires_grad for n, p in module.named_parameters() if n in pooler)


def test_idle_objective_frozen_but_tied_embeddings_still_train(tmp_path):
    base = [o for o in tiny_ddp_overrides(tmp_path) if o != "hardware=ddp_cpu"]
    module = build_module(compose_config([*base, "model=simcse_unsup_mlm", "model.auxiliary.mlm.weight=0"],
                                         tmp_path / "run"))
    head = module.auxiliary["mlm"]
    word_embeddings = module.encoder.model.get_input_embeddings().weight
    assert word_embeddings.requires_grad
    own = [p for p in head.parameters() if p is not word_embeddings]
    assert own and not any(p.requires_grad for p in own)
