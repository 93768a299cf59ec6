"""The contracts of the pieces (sentemb.contracts): a piece missing a member is refused where it is built, with
an error naming the setting, the members and the base class; the bases' defaults are what shared code uses;
shared training code calls pieces through their contracts, never by a method's name or a probe."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import torch
from transformers import AutoTokenizer

from conftest import SENTENCES, compose_config
from sentemb.contracts import (
    AuxiliaryObjective,
    BatchBuilder,
    BatchBuilderBase,
    DataModuleBase,
    Evaluator,
    EvaluatorBase,
    Loss,
    LossBase,
    Sampler,
    SamplerBase,
    TrainingData,
    check_contract,
    protocol_members,
)
from sentemb.data.batches import DropoutPairBuilder
from sentemb.data.datamodule import TextDataModule
from sentemb.errors import SettingError
from sentemb.evaluation.suite import run_evaluators
from sentemb.losses.infonce import InfoNCELoss
from sentemb.methods.contrastive import ContrastiveModule
from sentemb.paths import minilm_path
from sentemb.samplers.compat import IncompatibleConfigError, check_compatible, check_data
from sentemb.samplers.debiased import DebiasedSampler
from sentemb.samplers.in_batch import InBatchSampler, all_views_pairs

SRC = Path(__file__).resolve().parents[1] / "src" / "sentemb"


class BareSampler:  # a user's sampler written before the contract listed every member
    def __call__(self, embeddings, labels=None):
        return all_views_pairs(embeddings)


class BareLoss(torch.nn.Module):
    def __init__(self, **settings):  # takes (and ignores) the loss group's settings
        super().__init__()

    def forward(self, pairs):
        return pairs.cosine().sum()


class BareBuilder:
    def __init__(self, tokenizer):
        self.inner = DropoutPairBuilder(tokenizer)

    def __call__(self, rows):
        return self.inner(rows)


class BareEvaluator:
    def __call__(self, encode):
        return {"score": 1.0}


class PlainSampler(SamplerBase):  # only the call: every other member from the base
    def __init__(self):
        self.calls: list[dict] = []

    def __call__(self, embeddings, labels=None):  # no text_ids= / detect_embeddings=: the base says it takes none
        self.calls.append({"shape": tuple(embeddings.shape)})
        return all_views_pairs(embeddings)


class PlainLoss(LossBase):
    def forward(self, pairs):
        return pairs.cosine().mean()


class PlainBuilder(BatchBuilderBase):
    def __init__(self, tokenizer):
        self.inner = DropoutPairBuilder(tokenizer)

    def __call__(self, rows):
        return self.inner(rows)


class PlainEvaluator(EvaluatorBase):
    def __init__(self):
        self.seen = []

    def __call__(self, encode):
        self.seen.append(encode(["a sentence"]).shape)
        return {"score": 1.0}


def test_each_protocol_lists_every_member_shared_code_reads():
    assert set(protocol_members(Sampler)) == {"config_name", "produces", "requires_labels", "missing_temperature",
                                              "uses_text_ids", "momentum", "min_batch_size", "__call__"}
    assert set(protocol_members(Loss)) == {"config_name", "consumes", "requires", "requires_hard_negatives",
                                           "set_embedding_dim", "__call__"}
    assert set(protocol_members(BatchBuilder)) == {"bind_sampler", "__call__"}
    assert set(protocol_members(Evaluator)) == {"sentences", "aggregation", "__call__"}
    assert set(protocol_members(AuxiliaryObjective)) == {"weight", "bind", "__call__"}
    assert set(protocol_members(TrainingData)) == {"provides_labels", "provides_hard_negatives"}


def test_subclasses_of_the_bases_meet_the_protocols_and_bare_classes_do_not():
    tok = AutoTokenizer.from_pretrained(minilm_path())
    assert isinstance(PlainSampler(), Sampler) and not isinstance(BareSampler(), Sampler)
    assert isinstance(PlainLoss(), Loss) and not isinstance(BareLoss(), Loss)
    assert isinstance(PlainBuilder(tok), BatchBuilder) and not isinstance(BareBuilder(tok), BatchBuilder)
    assert isinstance(PlainEvaluator(), Evaluator) and not isinstance(BareEvaluator(), Evaluator)
    assert isinstance(TextDataModule, TrainingData) and not isinstance(object, TrainingData)


@pytest.mark.parametrize(("piece", "protocol", "setting", "members", "base"), [
    (BareSampler(), Sampler, "sampler", "config_name, produces, requires_labels, missing_temperature, "
     "uses_text_ids, momentum, min_batch_size", "sentemb.contracts.SamplerBase"),
    (BareLoss(), Loss, "loss", "config_name, consumes, requires, requires_hard_negatives, set_embedding_dim",
     "sentemb.contracts.LossBase"),
    (BareEvaluator(), Evaluator, "eval.mine", "sentences, aggregation", "sentemb.contracts.EvaluatorBase"),
    (torch.nn.Identity(), AuxiliaryObjective, "model.auxiliary.x", "weight, bind",
     "sentemb.methods.objectives.AuxiliaryObjective"),
    (object, TrainingData, "data", "provides_labels, provides_hard_negatives", "sentemb.contracts.DataModuleBase"),
])
def test_check_contract_names_the_setting_the_missing_members_and_the_base(piece, protocol, setting, members, base):
    with pytest.raises(SettingError) as error:
        check_contract(piece, protocol, setting)
    message = str(error.value)
    assert message.startswith(f"{setting}: ")
    assert f"does not meet sentemb.contracts.{protocol.__name__}: it lacks {members}." in message
    assert f"Subclass {base}" in message


def test_a_user_loss_without_the_members_is_refused_when_the_run_is_built(tmp_path):
    """Through the config: loss._target_ names a class of the user's that lacks members -> refused at build time,
    before any data loads."""
    cfg = compose_config(["backbone=tiny_random", f"loss._target_={__name__}.BareLoss"],
                         tmp_path)
    from sentemb.train import build_module

    with pytest.raises(SettingError, match=r"^loss: test_contracts\.BareLoss does not meet sentemb\.contracts\.Loss: "
                       r"it lacks config_name, consumes, .*Subclass sentemb\.contracts\.LossBase"):
        build_module(cfg)


def test_the_module_and_the_data_modules_refuse_pieces_missing_members(tiny_backbone_factory, tmp_path):
    backbone = tiny_backbone_factory()
    with pytest.raises(SettingError, match=r"^sampler: .*BareSampler .*lacks config_name"):
        ContrastiveModule(backbone, InfoNCELoss(), BareSampler())
    with pytest.raises(SettingError, match=r"^loss: .*BareLoss .*lacks .*set_embedding_dim"):
        ContrastiveModule(backbone, BareLoss(), InBatchSampler())
    with pytest.raises(SettingError, match=r"^model\.auxiliary\.extra: .*Identity .*lacks weight, bind"):
        ContrastiveModule(backbone, InfoNCELoss(), InBatchSampler(), auxiliary={"extra": torch.nn.Identity()})
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n")
    with pytest.raises(SettingError, match=r"^model\.batch_builder: .*BareBuilder .*lacks bind_sampler\. "
                                           r"Subclass sentemb\.contracts\.BatchBuilderBase"):
        TextDataModule(corpus, backbone.tokenizer, BareBuilder)
    with pytest.raises(SettingError, match=r"^eval\.mine: .*lacks sentences, aggregation"):
        run_evaluators(None, {"mine": BareEvaluator()})
    with pytest.raises(SettingError, match=r"^data: .*lacks provides_labels"):
        check_data(InfoNCELoss(), InBatchSampler(), object)


def test_the_bases_defaults_are_what_shared_code_uses(tiny_backbone_factory, tmp_path):
    sampler, loss = PlainSampler(), PlainLoss()
    check_compatible(loss, sampler, batch_size=2)  # produces nothing, needs no temperature, min batch 1
    with pytest.raises(IncompatibleConfigError, match=r"data\.batch_size=1: sampler=PlainSampler with "
                                                      r"loss=PlainLoss"):
        check_compatible(loss, sampler, batch_size=1)  # config_name None: the class name
    with pytest.raises(IncompatibleConfigError, match=r"loss=PlainLoss cannot use .*sampler\.tau_plus"):
        check_compatible(loss, DebiasedSampler(0.1))  # consumes nothing optional
    check_data(loss, sampler, TextDataModule)  # needs no labels and no NLI triplets
    module = ContrastiveModule(tiny_backbone_factory(), loss, sampler, gather_across_devices=False)
    module.log = lambda *args, **kwargs: None  # outside a Trainer
    assert module.momentum_encoder is None  # momentum None
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES) + "\n")
    data = TextDataModule(corpus, module.encoder.tokenizer, PlainBuilder, batch_size=4, cache_dir=str(tmp_path))
    data.setup()
    batch = next(iter(data.train_dataloader()))  # bind_sampler: the base's no-op
    assert torch.isfinite(module.training_step(batch, 0))
    assert sampler.calls == [{"shape": (4, 2, 32)}]  # called without text_ids= (uses_text_ids False)
    evaluator = PlainEvaluator()
    results = run_evaluators(module.encoder, {"plain": evaluator})  # sentences (): nothing prefetched
    assert results == {"plain": {"score": 1.0}} and evaluator.seen == [(1, 32)]
    assert EvaluatorBase.aggregation is None and DataModuleBase.provides_labels is None


class TextIdSampler(SamplerBase):
    uses_text_ids = True

    def __init__(self):
        self.kwargs: list[set] = []

    def __call__(self, embeddings, labels=None, **kwargs):
        self.kwargs.append(set(kwargs))
        return all_views_pairs(embeddings)


def test_a_sampler_declaring_uses_text_ids_gets_them(tiny_backbone_factory):
    sampler = TextIdSampler()
    module = ContrastiveModule(tiny_backbone_factory(), InfoNCELoss(), sampler, gather_across_devices=False)
    module.log = lambda *args, **kwargs: None  # outside a Trainer
    tok = module.encoder.tokenizer
    rows = [{"input_ids": tok(s)["input_ids"], "index": i, "text_id": i} for i, s in enumerate(SENTENCES[:4])]
    module.training_step(DropoutPairBuilder(tok)(rows), 0)
    assert sampler.kwargs == [{"text_ids"}]


SHARED_TRAINING_CODE = ["methods/contrastive.py", "data/datamodule.py", "data/views_datamodule.py",
                        "samplers/compat.py", "evaluation/suite.py", "evaluation/plan.py", "train.py",
                        "training/build.py", "encoder/postprocess/fitting.py"]
METHOD_NAMES = ("simcse", "arccse", "vascl", "supcon", "cosent", "sbert", "tiny_random")


@pytest.mark.parametrize("path", SHARED_TRAINING_CODE)
def test_shared_training_code_neither_probes_pieces_nor_names_methods(path):
    text = (SRC / path).read_text()
    assert "hasattr(" not in text
    found = [m.group(0) for m in re.finditer("|".join(METHOD_NAMES), text, flags=re.IGNORECASE)]
    assert not found, f"{path} names methods: {found}"
