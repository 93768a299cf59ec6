"""A WordPiece tokenizer trained on a small corpus, saved and loaded as a fast BERT tokenizer."""

from __future__ import annotations

import pytest
from transformers import AutoTokenizer

from conftest import SENTENCES
from sentemb.pretraining.tokenizer import SPECIAL_TOKENS, save_tokenizer, train_wordpiece


def test_train_save_and_load_with_auto_tokenizer(tmp_path):
    corpus = tmp_path / "corpus.txt"
    corpus.write_text("\n".join(SENTENCES * 2) + "\n")
    lines = corpus.read_text().splitlines()
    tok = train_wordpiece(lines, vocab_size=150, min_frequency=1)
    assert len(tok) <= 150 and [tok.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS] == [0, 1, 2, 3, 4]
    assert tok.is_fast and tok.mask_token == "[MASK]" and tok.pad_token_id == 0
    save_tokenizer(tok, tmp_path / "tok")
    loaded = AutoTokenizer.from_pretrained(tmp_path / "tok")
    assert loaded.is_fast and "Bert" in type(loaded).__name__
    text = "A man is playing a guitar in the park."
    assert loaded(text)["input_ids"] == tok(text)["input_ids"]
    ids = loaded(text)["input_ids"]
    assert ids[0] == loaded.cls_token_id and ids[-1] == loaded.sep_token_id
    assert loaded.decode(ids, skip_special_tokens=True) == text.lower()  # WordPiece decoder joins "##" pieces
    vocab = (tmp_path / "tok" / "vocab.txt").read_text().splitlines()
    assert vocab[:5] == list(SPECIAL_TOKENS) and len(vocab) == len(tok)
    assert any(t.startswith("##") for t in vocab)  # subword continuations


@pytest.mark.parametrize("lowercase", [True, False])
def test_lowercase_setting(lowercase):
    tok = train_wordpiece(SENTENCES * 2, vocab_size=200, lowercase=lowercase, min_frequency=1)
    same = tok("The Band")["input_ids"] == tok("the band")["input_ids"]
    assert same == lowercase


def test_vocab_size_must_exceed_the_special_tokens():
    with pytest.raises(ValueError, match="vocab_size"):
        train_wordpiece(SENTENCES, vocab_size=5)
