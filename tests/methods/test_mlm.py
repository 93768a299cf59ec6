"""The MLM auxiliary objective: BERT masking, the checkpoint's head, and the loss of BertForMaskedLM."""

from __future__ import annotations

import torch
from transformers import BertConfig, BertForMaskedLM

from conftest import SENTENCES
from sentemb.encoder.backbone import load_backbone
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.methods.mlm import MLMObjective, mask_tokens
from sentemb.paths import minilm_path

TINY = dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2, intermediate_size=64)


def test_masking_15_percent_80_10_10_never_special_or_padding():
    g = torch.Generator().manual_seed(0)
    ids = torch.randint(10, 1000, (400, 50))
    maskable = torch.ones_like(ids, dtype=torch.bool)
    maskable[:, 0] = maskable[:, -5:] = False  # [CLS], padding
    masked, labels = mask_tokens(ids, maskable, mask_token_id=3, vocab_size=1000, mask_prob=0.15, generator=g)
    chosen = labels != -100
    assert not chosen[~maskable].any() and torch.equal(masked[~maskable], ids[~maskable])
    assert abs(chosen.sum().item() / maskable.sum().item() - 0.15) < 0.01
    assert torch.equal(labels[chosen], ids[chosen])
    n = chosen.sum().item()
    as_mask = (masked[chosen] == 3).sum().item() / n
    unchanged = (masked[chosen] == ids[chosen]).sum().item() / n
    assert abs(as_mask - 0.8) < 0.02 and abs(unchanged - 0.1) < 0.02 and abs(1 - as_mask - unchanged - 0.1) < 0.02


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
