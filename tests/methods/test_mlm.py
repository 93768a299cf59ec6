"""The MLM auxiliary objective: BERT masking, the checkpoint's head, and the loss of BertForMaskedLM."""

from __future__ import annotations

import torch
from transformers import BertConfig, BertForMaskedLM

from conftest import SENTENCES
from sentemb.encoder.backbone import load_backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.methods.mlm import MLMObjective
from sentemb.paths import minilm_path
from sentemb.pretraining.masking import Masker

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def test_the_objective_masks_with_the_pretraining_masker_over_the_tokenizer_vocabulary(tiny_backbone_factory):
    """One masker for MLM pretraining and the MLM objective: random replacements are ordinary tokens of the
    tokenizer (never special), specials and padding are never chosen (the 80/10/10 rates:
    tests/pretraining/test_mlm_masking.py)."""
    encoder = SentenceEncoder(tiny_backbone_factory(), "cls")
    objective = MLMObjective(mask_prob=0.5)
    objective.bind(encoder)
    assert isinstance(objective.masker, Masker) and objective.masker.mask_prob == 0.5
    tok = encoder.tokenizer
    ordinary = torch.tensor(sorted(set(tok.get_vocab().values()) - set(tok.all_special_ids)))
    torch.manual_seed(0)
    ids = ordinary[torch.randint(len(ordinary), (300, 40))]
    ids[:, 0] = tok.cls_token_id
    mask = torch.ones_like(ids)
    mask[:, -5:] = 0
    ids[mask == 0] = tok.pad_token_id
    masked, labels = objective.mask(ids, mask)
    chosen = labels != -100
    assert not chosen[:, 0].any() and not chosen[mask == 0].any()
    replaced = chosen & (masked != tok.mask_token_id) & (masked != ids)
    assert replaced.sum() > 200
    assert torch.isin(masked[replaced], ordinary).all()


def test_only_backbones_loaded_from_a_checkpoint_name_one_for_heads(tmp_path, tiny_backbone_factory):
    """`Backbone.weights_from` (not the option's name) says whether there is a checkpoint to take an MLM head from."""
    assert tiny_backbone_factory().weights_from is None
    assert load_backbone(minilm_path()).weights_from == str(minilm_path())
    assert load_backbone(minilm_path(), random_init=True).weights_from is None


def test_mlm_loss_equals_bert_for_masked_lm(tmp_path):
    """The checkpoint's own head is loaded; the objective's loss equals BertForMaskedLM's on the same batch."""
    from transformers import AutoTokenizer

    tok = AutoTokenizer.from_pretrained(minilm_path())
    torch.manual_seed(0)
    reference = BertForMaskedLM(BertConfig(vocab_size=len(tok), **TINY)).eval()
    reference.save_pretrained(tmp_path / "ckpt")
    tok.save_pretrained(tmp_path / "ckpt")
    encoder = SentenceEncoder(load_backbone(str(tmp_path / "ckpt"), attn_implementation="eager"), "cls").eval()
    objective = MLMObjective(weight=0.1)
    objective.bind(encoder)
    assert objective.pretrained_head
    assert objective.head.predictions.decoder.weight is encoder.model.get_input_embeddings().weight  # tied
    enc = tok(SENTENCES[:6], padding=True, return_tensors="pt")
    torch.manual_seed(1)
    masked, labels = objective.mask(enc["input_ids"], enc["attention_mask"])
    assert (labels != -100).any()
    special = torch.isin(enc["input_ids"], torch.tensor(tok.all_special_ids))
    assert not (labels[special] != -100).any()
    ours = objective.loss(encoder.model, masked, enc["attention_mask"], labels)
    with torch.no_grad():
        theirs = reference(input_ids=masked, attention_mask=enc["attention_mask"], labels=labels).loss
    torch.testing.assert_close(ours, theirs, rtol=1e-5, atol=1e-5)


def test_fresh_head_when_the_checkpoint_has_none(tiny_backbone_factory):
    encoder = SentenceEncoder(tiny_backbone_factory(), "cls")
    objective = MLMObjective()
    objective.bind(encoder)
    assert not objective.pretrained_head and objective.head is not None
    params = {id(p) for p in objective.parameters()}
    assert id(encoder.model.get_input_embeddings().weight) in params


def test_mlm_term_in_the_training_loss(tiny_backbone_factory):
    from sentemb.augment.builder import AugmentedPairBuilder
    from sentemb.losses.infonce import InfoNCELoss
    from sentemb.methods.contrastive import ContrastiveModule
    from sentemb.samplers.in_batch import InBatchSampler

    backbone = tiny_backbone_factory()
    module = ContrastiveModule(backbone, InfoNCELoss(), InBatchSampler(), mlp_head=True,
                               auxiliary={"mlm": MLMObjective(weight=0.1)})
    rows = [{"input_ids": backbone.tokenizer(s)["input_ids"], "index": i} for i, s in enumerate(SENTENCES)]
    batch = AugmentedPairBuilder(backbone.tokenizer)(rows)
    module.log = lambda *a, **k: None
    torch.manual_seed(0)
    total = module.training_step(batch, 0)
    torch.manual_seed(0)
    embeddings = module.embed(batch)
    main = module.loss_fn(module.sampler(embeddings, None))
    term = module.auxiliary["mlm"](module, batch, embeddings)
    torch.testing.assert_close(total, main + 0.1 * term.loss)
    assert 0.0 < term.activity <= 1.0  # the share of the (B*V) masked sequences with a chosen token
    total.backward()
    assert module.auxiliary["mlm"].head.predictions.transform.dense.weight.grad is not None
    # the MLM term alone trains the encoder too (its masked forward runs through the backbone, as in SimCSE's code)
    module.zero_grad(set_to_none=True)
    module.auxiliary["mlm"](module, batch, embeddings.detach()).loss.backward()
    layer = module.encoder.model.encoder.layer[0].attention.self.query.weight
    assert layer.grad is not None and layer.grad.abs().sum() > 0
