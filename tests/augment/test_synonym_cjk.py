"""Synonym replacement on a small WordNet database written here (and on Debian's when installed); CJK text."""

from __future__ import annotations

import random
from pathlib import Path

import pytest
from transformers import AutoTokenizer, BertTokenizer

from sentemb.augment.ops import Crop, Repetition, WordDeletion
from sentemb.augment.synonyms import Synonym
from sentemb.augment.wordnet import POS_FILES, WordNet
from sentemb.augment.words import WordSplitter
from sentemb.paths import minilm_path

# pos -> synsets (lists of words); written in WordNet's wndb layout with real byte offsets
SYNSETS = {"n": [["guitar"], ["man", "adult_male"], ["dog", "domestic_dog"]], "v": [["play", "act"]],
           "a": [["quick", "speedy(a)"]], "r": []}


def write_wordnet(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for pos, name in POS_FILES.items():
        data, index = "  1 This is a licence header line\n", {}
        for words in SYNSETS[pos]:
            offset = len(data.encode())
            body = " ".join(f"{w} 0" for w in words)
            data += f"{offset:08d} 05 {pos} {len(words):02x} {body} 000 | gloss\n"
            for w in words:
                index.setdefault(w.split("(")[0].lower(), []).append(offset)
        (folder / f"data.{name}").write_text(data)
        lines = ["  1 licence\n"] + [f"{w} {pos} {len(o)} 0 {len(o)} 0 " + " ".join(f"{x:08d}" for x in o) + "  \n"
                                     for w, o in sorted(index.items())]
        (folder / f"index.{name}").write_text("".join(lines))
    (folder / "verb.exc").write_text("played play\n")
    return folder


@pytest.fixture(scope="module")
def tok():
    return AutoTokenizer.from_pretrained(minilm_path())


def test_wordnet_reader_synonyms_and_morphy(tmp_path):
    wn = WordNet(write_wordnet(tmp_path / "wn"))
    assert wn.synonyms("man") == ("adult male",)
    assert wn.synonyms("dogs") == ("domestic dog",)  # noun detachment rule
    assert wn.synonyms("playing") == ("act",) and wn.synonyms("played") == ("act",)  # rule and exception list
    assert wn.synonyms("quick") == ("speedy",)  # adjective marker stripped
    assert wn.synonyms("guitar") == () and wn.synonyms("zebra") == ()


def test_synonym_replaces_one_word(tmp_path, tok):
    op, splitter = Synonym(1, str(write_wordnet(tmp_path / "wn"))), WordSplitter(tok)
    content = splitter.split(tok("A man is playing a guitar.")["input_ids"]).content
    outs = {tok.decode(op(content, splitter, random.Random(s))) for s in range(20)}
    assert outs == {"a adult male is playing a guitar.", "a man is act a guitar."}
    assert op(content, splitter, random.Random(5)) == op(content, splitter, random.Random(5))
    none = splitter.split(tok("The guitar.")["input_ids"]).content
    assert op(none, splitter, random.Random(0)) == none and op.unchanged == 1


def test_synonym_refuses_at_start_up_without_wordnet(tmp_path):
    with pytest.raises(FileNotFoundError, match="apt-get install wordnet-base"):
        Synonym(wordnet_dir=str(tmp_path / "missing"))


@pytest.mark.skipif(not Path("/usr/share/wordnet/index.noun").is_file(), reason="Debian's wordnet-base absent")
def test_debian_wordnet_has_synonyms():
    assert "domestic dog" in WordNet("/usr/share/wordnet").synonyms("dogs")


@pytest.fixture
def zh_tokenizer(tmp_path):
    chars = sorted(set("一个男人在弹吉他。两只狗穿过田野她读书"))
    vocab = tmp_path / "vocab.txt"
    vocab.write_text("\n".join(["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]", "a", "##b", *chars]) + "\n")
    return BertTokenizer(str(vocab))


def test_chinese_characters_are_units_or_refused(zh_tokenizer, tmp_path):
    splitter = WordSplitter(zh_tokenizer)
    content = splitter.split(zh_tokenizer("一个男人在弹吉他。")["input_ids"]).content
    assert len(content) == 9 and splitter.words(content) == [[t] for t in content]
    out = WordDeletion(0.3)(content, splitter, random.Random(0))
    assert 1 <= len(out) < len(content) and all(t in content for t in out)
    assert len(Repetition()(content, splitter, random.Random(2))) >= len(content)
    assert len(Crop(0.1)(content, splitter, random.Random(0))) == 8
    with pytest.raises(ValueError, match="word segmenter"):
        WordSplitter(zh_tokenizer, cjk="refuse").words(content)
    synonym = Synonym(1, str(write_wordnet(tmp_path / "wn")))
    assert synonym(content, splitter, random.Random(0)) == content and synonym.unchanged == 1  # CJK: unchanged


def test_synonym_replaces_english_words_beside_cjk_ones(tok, tmp_path):
    """A wiki line with a CJK name: the English word is replaced, the CJK characters are kept."""
    splitter = WordSplitter(tok)
    content = splitter.split(tok("the dog 中")["input_ids"]).content
    out = Synonym(1, str(write_wordnet(tmp_path / "wn")))(content, splitter, random.Random(0))
    assert tok.decode(out) == "the domestic dog 中"
