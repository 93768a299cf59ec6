import json

import numpy as np
import pytest
import torch

from sentemb.encoder.sentence_encoder import SentenceEncoder

SENTS = ["one", "two words", "a sentence of six words here", "", "the final one, a little longer than most"]


def test_encode_keeps_input_order_and_matches_single_encoding(tiny_backbone_factory):
    enc = SentenceEncoder(tiny_backbone_factory(), pooling="mean")
    batched = enc.encode(SENTS, batch_size=2)
    single = np.stack([enc.encode(s) for s in SENTS])
    assert batched.shape == (len(SENTS), 32)
    np.testing.assert_allclose(batched, single, atol=1e-5)


def test_encode_batches_by_token_count_padded_to_their_own_longest(tiny_backbone_factory):
    enc = SentenceEncoder(tiny_backbone_factory(), pooling="mean")
    sents = ["a a a a a a", "abcdefghijklmnopqrstuvwxyz", "b b b", "c"]  # few characters are not few tokens
    lengths = [len(enc.tokenizer(s)["input_ids"]) for s in sents]
    batches = list(enc._padded_batches(sents, 2, None))
    seen = [int(i) for idx, _ in batches for i in idx]
    assert sorted(seen) == [0, 1, 2, 3]
    assert [lengths[i] for i in seen] == sorted(lengths, reverse=True)
    for idx, features in batches:
        assert features["input_ids"].shape == (len(idx), max(lengths[i] for i in idx))
        assert features["attention_mask"].sum(1).tolist() == [lengths[i] for i in idx]


@pytest.mark.parametrize("sub_batches", ["auto", 3])
def test_encode_in_sub_batches_equals_whole_batches(tiny_backbone_factory, monkeypatch, sub_batches):
    import sentemb.encoder.sentence_encoder as module

    enc = SentenceEncoder(tiny_backbone_factory(), pooling="mean")
    sents = [" ".join(["word"] * (1 + (7 * i) % 40)) + f" {i}" for i in range(60)]  # 3 to 43 tokens
    calls = []
    original = module.embed_in_sub_batches
    monkeypatch.setattr(module, "embed_in_sub_batches",
                        lambda f, ids, mask, setting, **c: calls.append(setting) or original(f, ids, mask, setting, **c))
    counted = []
    forward = enc.forward
    monkeypatch.setattr(enc, "forward", lambda *a, **k: counted.append(a[0].shape) or forward(*a, **k))
    got = enc.encode(sents, batch_size=60, sub_batches=sub_batches)
    assert calls == [sub_batches] and len(counted) > 1  # one batch, encoded in several chunks
    assert sum(n * width for n, width in counted) < 60 * max(width for _, width in counted)
    counted.clear()
    whole = enc.encode(sents, batch_size=60, sub_batches=None)
    assert len(counted) == 1
    np.testing.assert_allclose(got, whole, atol=1e-5)
    single = np.stack([enc.encode(s) for s in sents[:5]])
    np.testing.assert_allclose(got[:5], single, atol=1e-5)


def test_bfloat16_encoder_encodes_float32_close_to_full_precision(tiny_backbone_factory):
    enc = SentenceEncoder(tiny_backbone_factory(), pooling="mean")
    full = enc.encode(SENTS, normalize=True)
    low = enc.to(torch.bfloat16).encode(SENTS, normalize=True)  # the opt-in faster path
    assert low.dtype == np.float32 and not np.array_equal(low, full)
    assert (low * full).sum(1).min() > 0.99  # cosine of each sentence's two embeddings


def test_encode_refuses_a_bad_sub_batch_setting(tiny_backbone_factory):
    enc = SentenceEncoder(tiny_backbone_factory(), pooling="mean")
    with pytest.raises(ValueError, match="sub_batches must be null"):
        enc.encode(SENTS, sub_batches=0)


def test_head_only_in_training_by_default(tiny_backbone_factory):
    enc = SentenceEncoder(tiny_backbone_factory(), pooling="cls_before_pooler", mlp_head=True)
    feats = enc.tokenize(["hello world"])
    enc.eval()
    with torch.no_grad():
        eval_out = enc(**feats)
        enc.train()
        torch.manual_seed(0)
        enc.model.eval()  # no dropout, so only the head differs
        train_out = enc(**feats)
    torch.testing.assert_close(enc.head(eval_out), train_out)


@pytest.mark.parametrize("pooling,head", [("mean", False), ("cls", False), ("cls_before_pooler", True),
                                          ("max", False)])
def test_save_load_and_sentence_transformers_give_same_embeddings(tiny_backbone_factory, tmp_path, pooling, head):
    from sentence_transformers import SentenceTransformer

    enc = SentenceEncoder(tiny_backbone_factory(), pooling=pooling, mlp_head=head, head_in_eval=head)
    expected = enc.encode(SENTS)
    enc.save(tmp_path / "m")
    assert json.loads((tmp_path / "m" / "sentemb_encoder.json").read_text())["pooling"] == pooling
    np.testing.assert_allclose(SentenceEncoder.load(tmp_path / "m").encode(SENTS), expected, atol=1e-5)
    st = SentenceTransformer(str(tmp_path / "m"), device="cpu")
    np.testing.assert_allclose(st.encode(SENTS, batch_size=2), expected, atol=1e-5)


def test_first_last_avg_saves_hf_layout_without_sentence_transformers_modules(tiny_backbone_factory, tmp_path):
    enc = SentenceEncoder(tiny_backbone_factory(), pooling="first_last_avg")
    enc.save(tmp_path / "m")
    assert (tmp_path / "m" / "model.safetensors").exists()
    assert not (tmp_path / "m" / "modules.json").exists()
    np.testing.assert_allclose(SentenceEncoder.load(tmp_path / "m").encode(SENTS), enc.encode(SENTS), atol=1e-5)


def test_missing_backbone_folder_is_named(tmp_path):
    from sentemb.encoder.backbone import load_backbone

    with pytest.raises(FileNotFoundError, match="no such folder"):
        load_backbone(str(tmp_path / "nowhere" / "model"))
    (tmp_path / "empty").mkdir()
    with pytest.raises(FileNotFoundError, match="without weights"):
        load_backbone(str(tmp_path / "empty"))


def test_encoding_is_truncated_at_the_backbones_positions():
    """A base made with 16 positions still encodes a 40-word sentence (truncated), whatever max_length asks."""
    from sentemb.encoder.backbone import tiny_random_backbone
    from sentemb.encoder.sentence_encoder import position_capacity
    from sentemb.paths import minilm_path

    backbone = tiny_random_backbone(minilm_path(), hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                                    intermediate_size=64, max_position_embeddings=16)
    encoder = SentenceEncoder(backbone, pooling="mean", max_length=256)
    assert position_capacity(backbone.model.config) == 16 and encoder.truncation_length() == 16
    assert encoder.truncation_length(8) == 8
    long = " ".join(["word"] * 40)
    vectors = encoder.encode([long, "short one"], batch_size=2, max_length=256)
    assert vectors.shape == (2, 32) and np.isfinite(vectors).all()
    assert encoder.tokenize([long], max_length=256)["input_ids"].shape[1] == 16


def test_roberta_positions_leave_out_the_padding_offset():
    from transformers import RobertaConfig

    from sentemb.encoder.sentence_encoder import position_capacity

    assert position_capacity(RobertaConfig(max_position_embeddings=514, pad_token_id=1)) == 512
