"""A WordPiece tokenizer (Wu et al. 2016; BERT's) trained on a corpus with the `tokenizers` library.

BERT's pipeline: BertNormalizer (clean text, Chinese characters spaced, optional lower-casing with accent
stripping), BertPreTokenizer (split on whitespace and punctuation), WordPiece with "##" continuations,
`[CLS] A [SEP]` / `[CLS] A [SEP] B [SEP]` templates. Saved as a fast BERT tokenizer (tokenizer.json,
tokenizer_config.json) plus vocab.txt, so `AutoTokenizer.from_pretrained(folder)` loads it.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path

from tokenizers import Tokenizer, decoders, models, normalizers, pre_tokenizers, processors, trainers
from transformers import BertTokenizerFast, PreTrainedTokenizerBase

from sentemb.errors import SettingError
from sentemb.progress import interactive

log = logging.getLogger(__name__)

SPECIAL_TOKENS = ("[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]")  # ids 0-4


def train_wordpiece(sentences: Iterable[str], vocab_size: int = 16000, lowercase: bool = True,
                    min_frequency: int = 2, model_max_length: int = 512) -> PreTrainedTokenizerBase:
    """Train on `sentences`; return the fast BERT tokenizer (special tokens first: [PAD]=0 ... [MASK]=4).

    `vocab_size` bounds the vocabulary (specials and the single characters included); a small corpus may
    give fewer. `min_frequency`: a merge must be seen this often.
    """
    if int(vocab_size) <= len(SPECIAL_TOKENS):
        raise SettingError(f"tokenizer.vocab_size must exceed the {len(SPECIAL_TOKENS)} special tokens, got {vocab_size}")
    tok = Tokenizer(models.WordPiece(unk_token="[UNK]", continuing_subword_prefix="##"))
    tok.normalizer = normalizers.BertNormalizer(clean_text=True, handle_chinese_chars=True, strip_accents=None,
                                                lowercase=bool(lowercase))
    tok.pre_tokenizer = pre_tokenizers.BertPreTokenizer()
    trainer = trainers.WordPieceTrainer(vocab_size=int(vocab_size), min_frequency=int(min_frequency),
                                        special_tokens=list(SPECIAL_TOKENS), continuing_subword_prefix="##",
                                        show_progress=interactive())  # no TTY: no blank progress lines
    tok.train_from_iterator(sentences, trainer=trainer)
    cls, sep = tok.token_to_id("[CLS]"), tok.token_to_id("[SEP]")
    tok.post_processor = processors.TemplateProcessing(
        single="[CLS] $A [SEP]", pair="[CLS] $A [SEP] $B:1 [SEP]:1", special_tokens=[("[CLS]", cls), ("[SEP]", sep)])
    tok.decoder = decoders.WordPiece(prefix="##")
    fast = BertTokenizerFast(tokenizer_object=tok, do_lower_case=bool(lowercase), model_max_length=model_max_length,
                             unk_token="[UNK]", sep_token="[SEP]", pad_token="[PAD]", cls_token="[CLS]",
                             mask_token="[MASK]")
    log.info("WordPiece tokenizer: %d tokens (asked for %d), lowercase=%s", len(fast), vocab_size, lowercase)
    return fast


def save_tokenizer(tokenizer: PreTrainedTokenizerBase, folder: str | Path) -> Path:
    """save_pretrained plus a vocab.txt (one token a line, in id order) for readers of BERT's classic layout."""
    folder = Path(folder)
    tokenizer.save_pretrained(folder)
    vocab = tokenizer.get_vocab()
    if not (folder / "vocab.txt").exists() and sorted(vocab.values()) == list(range(len(vocab))):
        by_id = sorted(vocab, key=vocab.get)
        (folder / "vocab.txt").write_text("\n".join(by_id) + "\n", encoding="utf-8")
    return folder
