"""Every trainable model and every sampler under hardware=ddp_cpu (two gloo processes) through
`python -m sentemb.run`, 2 steps each on the tiny random BERT, with no extra flag: results.json and the model
written once, the two processes' weights equal after the steps. The main methods run by default, the rest
with `-m slow`."""

from __future__ import annotations

import pytest
from ddp_runs import check_one_writer_and_equal_ranks, run, supervised_data, tiny_ddp_overrides

MAIN = {
    "simcse_unsup": ["model=simcse_unsup"],
    "simcse_sup": ["model=simcse_sup"],
    "supcon": ["model=supcon"],
    "arccse": ["model=arccse"],
    "vascl": ["model=vascl", "sampler.k=3"],  # sampler=knn over the gathered batch of 8 (the start-up check counts one process's 4)
}
OTHERS = {
    "simcse_unsup_mean_no_head": ["model=simcse_unsup", "model.pooling=mean", "model.mlp_head=false"],
    "simcse_unsup_mlm": ["model=simcse_unsup_mlm"],
    "simcse_unsup_mlm_off": ["model=simcse_unsup_mlm", "model.auxiliary.mlm.weight=0"],
    "arccse_no_triplet": ["model=arccse", "model.triplet_weight=0"],
    "grad_cache": ["model=simcse_unsup", "model.grad_cache_chunk_size=3"],
    "sbert": ["model=sbert"],
    "cosent": ["model=cosent"],
    "sampler_hard": ["model=simcse_unsup", "sampler=hard"],
    "sampler_debiased": ["model=simcse_unsup", "sampler=debiased"],
    "sampler_false_negative": ["model=simcse_unsup", "sampler=false_negative", "sampler.top_k=1"],
    "sampler_false_negative_momentum": ["model=simcse_unsup", "sampler=false_negative", "sampler.top_k=1",
                                        "sampler.momentum=0.9"],
    "supcon_shuffle": ["model=supcon", "data.batching=shuffle"],
}
CASES = [pytest.param(name, marks=[]) for name in MAIN] + [
    pytest.param(name, marks=pytest.mark.slow) for name in OTHERS]


def overrides_for(case: str, tmp_path) -> list[str]:
    overrides = {**MAIN, **OTHERS}[case]
    model = overrides[0].split("=", 1)[1]
    data = supervised_data(tmp_path / "data").get(model, [])
    base = tiny_ddp_overrides(tmp_path)
    if data:
        base = [o for o in base if not o.startswith(("data=", "data.path="))] + data
    return [*base, *overrides]


@pytest.mark.parametrize("case", CASES)
def test_ddp_cpu_two_steps(case, tmp_path):
    out = tmp_path / "run"
    output = run(overrides_for(case, tmp_path), out)
    check_one_writer_and_equal_ranks(output, out)
