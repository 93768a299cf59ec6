"""MLM pretraining's AdamW groups parameters with contrastive training's one grouping (methods/optim.py)."""

from __future__ import annotations

import pytest
from transformers import BertConfig, BertForMaskedLM

from sentemb.errors import SettingError
from sentemb.methods.optim import parameter_groups
from sentemb.pretraining.module import mlm_adamw


def test_pretraining_adamw_uses_the_shared_parameter_groups():
    model = BertForMaskedLM(BertConfig(vocab_size=50, hidden_size=16, num_hidden_layers=1, num_attention_heads=2,
                                       intermediate_size=32))
    optimizer = mlm_adamw(model, {"lr": 1e-3, "weight_decay": 0.01})
    shared = parameter_groups(model, 1e-3, 0.01)
    assert [[id(p) for p in g["params"]] for g in optimizer.param_groups] == [[id(p) for p in g["params"]]
                                                                              for g in shared]
    decay = {name: g["weight_decay"] for g in optimizer.param_groups for p in g["params"]
             for name, q in model.named_parameters() if q is p}
    assert decay["bert.embeddings.word_embeddings.weight"] == 0.01
    assert decay["bert.encoder.layer.0.attention.self.query.weight"] == 0.01
    assert decay["bert.embeddings.LayerNorm.weight"] == 0.0 and decay["bert.encoder.layer.0.output.dense.bias"] == 0.0
    assert len(decay) == len(list(model.parameters()))  # every trainable parameter, once
    assert optimizer.defaults["betas"] == (0.9, 0.98) and optimizer.defaults["eps"] == 1e-6
    with pytest.raises(SettingError, match="optim.lr"):
        mlm_adamw(model, {"lr": 0.0})
