"""Grouping token ids into words (units) for word-level augmentations, without the original text.

A tokenised sentence [CLS] t1 ... tn [SEP] is split into its special prefix, its content and its special
suffix; the content's word pieces are grouped into words by the tokenizer's own convention:

  * WordPiece (BERT, MiniLM): a piece starting with "##" continues the previous word;
  * byte-level BPE (RoBERTa, GPT-2): a piece starting with "Ġ" starts a word, others continue it;
  * SentencePiece (XLM-R, ALBERT): a piece starting with "▁" starts a word, others continue it.

CJK characters: BERT-style tokenizers split Chinese/Japanese/Korean text into one piece per character and
there is no segmenter here, so a CJK character is its own unit ("character spans"): word deletion then
deletes characters. `cjk="refuse"` raises instead (see WordSplitter).
"""

from __future__ import annotations

from dataclasses import dataclass

from sentemb.errors import SettingError


def is_cjk_char(ch: str) -> bool:
    """True for CJK ideographs, kana, hangul and CJK punctuation/full-width forms."""
    cp = ord(ch)
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2FA1F
            or 0xF900 <= cp <= 0xFAFF or 0x3000 <= cp <= 0x30FF or 0xAC00 <= cp <= 0xD7AF
            or 0xFF00 <= cp <= 0xFFEF)


def has_cjk(text: str) -> bool:
    return any(is_cjk_char(c) for c in text)


@dataclass
class Split:
    """A tokenised sentence as prefix specials + content + suffix specials (lists of ids)."""

    prefix: list[int]
    content: list[int]
    suffix: list[int]

    def join(self, content: list[int]) -> list[int]:
        return [*self.prefix, *content, *self.suffix]


class WordSplitter:
    """Splits id lists into specials/content and content into words, for one tokenizer.

    Args:
        tokenizer: a Hugging Face tokenizer (slow or fast).
        cjk: "chars" (default): a CJK character is one unit; "refuse": word-level augmentation of text with
            CJK characters raises ValueError (there is no word segmenter).
    """

    def __init__(self, tokenizer, cjk: str = "chars"):
        if cjk not in ("chars", "refuse"):
            raise SettingError(f"augment.cjk must be 'chars' or 'refuse', got {cjk!r}")
        self.tokenizer = tokenizer
        self.cjk = cjk
        self.special_ids = frozenset(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
        vocab = tokenizer.get_vocab()
        if any(t.startswith("##") for t in vocab):
            self.scheme = "wordpiece"
        elif any(t.startswith("Ġ") for t in vocab):
            self.scheme = "bpe"
        elif any(t.startswith("▁") for t in vocab):
            self.scheme = "sentencepiece"
        else:
            self.scheme = "wordpiece"  # no continuation marker: every piece is a word
        self._tokens: dict[int, str] = {}

    def token(self, token_id: int) -> str:
        tok = self._tokens.get(token_id)
        if tok is None:
            tok = self.tokenizer.convert_ids_to_tokens(int(token_id))
            self._tokens[token_id] = tok
        return tok

    def split(self, ids: list[int]) -> Split:
        start, end = 0, len(ids)
        while start < end and ids[start] in self.special_ids:
            start += 1
        while end > start and ids[end - 1] in self.special_ids:
            end -= 1
        return Split(list(ids[:start]), list(ids[start:end]), list(ids[end:]))

    def _starts_word(self, tok: str, first: bool) -> bool:
        if first:
            return True
        if self.scheme == "wordpiece":
            return not tok.startswith("##")
        if self.scheme == "bpe":
            return tok.startswith("Ġ")
        return tok.startswith("▁")

    def words(self, content: list[int], what: str = "word-level augmentation") -> list[list[int]]:
        """content ids -> words, each a list of ids (concatenated they give `content` back)."""
        out: list[list[int]] = []
        for i, token_id in enumerate(content):
            tok = self.token(token_id)
            cjk = has_cjk(tok)
            if cjk and self.cjk == "refuse":
                raise SettingError(f"{what} on CJK text needs a word segmenter, which sentemb does not have "
                                 "(set augment.cjk=chars to treat each character as a word, or use "
                                 "augment=dropout/crop/shuffle)")
            if cjk or self._starts_word(tok, i == 0) or not out:
                out.append([token_id])
            else:
                out[-1].append(token_id)
        return out

    def text(self, word: list[int]) -> str:
        """The surface form of one word's pieces (markers removed)."""
        pieces = [self.token(t) for t in word]
        if self.scheme == "wordpiece":
            return "".join(p[2:] if p.startswith("##") else p for p in pieces)
        return self.tokenizer.convert_tokens_to_string(pieces).strip()

    def encode_word(self, text: str, first: bool) -> list[int]:
        """Ids of `text` as a word at the start of the sentence (`first`) or after a space."""
        if self.scheme == "wordpiece" or first:
            return self.tokenizer(text, add_special_tokens=False)["input_ids"]
        return self.tokenizer(" " + text, add_special_tokens=False)["input_ids"]
