"""BERT masking for masked-language models (Devlin et al. 2019, Sec. 3.1 and Appendix A.1): the one masker of
sentemb, used by MLM pretraining (`pretraining/module.py`) and the MLM auxiliary objective (`methods/mlm.py`).

Each maskable token (not special, not padding) is chosen with probability `mask_prob` (0.15). Of the
chosen tokens 80% are replaced by the mask token, 10% by a random ordinary token (a token of the
tokenizer's vocabulary that is not special, drawn uniformly), 10% stay unchanged; the
loss is computed on the chosen tokens only (label = the original id, -100 elsewhere). One uniform draw per
chosen token decides among the three, so the shares are exact in expectation.

Whole-word masking (Google's BERT release of 2019-05-31; Cui et al. 2019): the draw is made once per
word and applies to all of its tokens, so a word is either masked whole or not at all. Word boundaries come
from the vocabulary: WordPiece marks continuations with "##", byte-level BPE (RoBERTa) and SentencePiece
mark word starts with "Ġ" / "▁"; the first maskable token after a non-maskable one (special or padding)
always starts a word. The 80/10/10 replacement is then drawn per token, as Hugging Face's
DataCollatorForWholeWordMask does.
"""

from __future__ import annotations

import torch
from torch import Tensor, nn

from sentemb.errors import SettingError


def word_start_table(vocab: dict[str, int], size: int) -> Tensor:
    """(size,) bool: True for ids whose token starts a word. Raises ValueError for a vocabulary whose word
    boundaries cannot be told (no "##", "Ġ" or "▁" marks)."""
    tokens = list(vocab)
    if any(t.startswith("##") for t in tokens):
        def starts(t):
            return not t.startswith("##")
    elif any(t.startswith("Ġ") for t in tokens):
        def starts(t):
            return t.startswith("Ġ")
    elif any(t.startswith("▁") for t in tokens):
        def starts(t):
            return t.startswith("▁")
    else:
        raise SettingError("masking.whole_word=true: cannot tell word starts in this vocabulary (no WordPiece "
                         "'##', byte-level BPE 'Ġ' or SentencePiece '▁' marks); set masking.whole_word=false")
    table = torch.ones(size, dtype=torch.bool)
    for token, idx in vocab.items():
        if idx < size:
            table[idx] = starts(token)
    return table


def word_starts(input_ids: Tensor, maskable: Tensor, table: Tensor) -> Tensor:
    """(N, L) bool: maskable tokens that start a word (per `table`, or right after a non-maskable token)."""
    after_unmaskable = torch.ones_like(maskable)
    after_unmaskable[:, 1:] = ~maskable[:, :-1]
    return maskable & (table[input_ids] | after_unmaskable)


def choose_positions(maskable: Tensor, mask_prob: float, starts: Tensor | None = None,
                     generator: torch.Generator | None = None) -> Tensor:
    """(N, L) bool: the positions whose tokens are predicted. Token by token, or word by word when `starts`
    (the word-start positions, (N, L) bool) is given: each token takes the draw of its word's first token."""
    draw = torch.rand(maskable.shape, generator=generator, device=maskable.device)
    if starts is not None:
        positions = torch.arange(maskable.shape[1], device=maskable.device).expand_as(maskable)
        first = torch.cummax(torch.where(starts, positions, torch.zeros_like(positions)), dim=1).values
        draw = draw.gather(1, first)
    return (draw < mask_prob) & maskable


def replace_chosen(input_ids: Tensor, chosen: Tensor, mask_token_id: int, random_pool: Tensor,
                   mask_replace: float = 0.8, random_replace: float = 0.1,
                   generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
    """Apply the 80/10/10 rule to the `chosen` (N, L) positions -> (masked ids (N, L), labels (N, L));
    random replacements are drawn uniformly from `random_pool` (1-D ids, the ordinary tokens)."""
    draw = torch.rand(input_ids.shape, generator=generator, device=input_ids.device)
    to_mask = chosen & (draw < mask_replace)
    to_random = chosen & (draw >= mask_replace) & (draw < mask_replace + random_replace)
    picks = torch.randint(len(random_pool), input_ids.shape, generator=generator, device=input_ids.device)
    masked = torch.where(to_mask, torch.full_like(input_ids, mask_token_id), input_ids)
    masked = torch.where(to_random, random_pool[picks], masked)
    labels = torch.where(chosen, input_ids, torch.full_like(input_ids, -100))
    return masked, labels


class Masker(nn.Module):
    """BERT masking for a tokenizer; see the module docstring.

    Args:
        special_ids: ids never masked (CLS, SEP, PAD, MASK, UNK, ...), also left out of random replacements.
        vocab: token -> id, the tokenizer's vocabulary: random replacements are drawn from its ids that are
            not special (and < vocab_size); also whole-word boundaries. vocab_size: the embedding rows.
        mask_token_id: the id written at 80% of the chosen positions.
        mask_prob, mask_replace, random_replace: 0.15, 0.8, 0.1 in BERT; the rest stay unchanged.
        whole_word: draw per word instead of per token.

    `forward(input_ids (N, L), attention_mask (N, L) or None, generator)` -> (masked ids, labels), both (N, L).
    """

    def __init__(self, special_ids: list[int], vocab: dict[str, int], vocab_size: int, mask_token_id: int,
                 mask_prob: float = 0.15, mask_replace: float = 0.8, random_replace: float = 0.1,
                 whole_word: bool = False):
        super().__init__()
        if not 0.0 < float(mask_prob) < 1.0:
            raise SettingError(f"masking.mask_prob must be in (0, 1), got {mask_prob}")
        if mask_replace < 0 or random_replace < 0 or mask_replace + random_replace > 1:
            raise SettingError(f"masking.mask_replace ({mask_replace}) and masking.random_replace ({random_replace}) "
                             "must be >= 0 and add up to at most 1 (the rest stay unchanged)")
        self.mask_prob, self.mask_replace, self.random_replace = float(mask_prob), float(mask_replace), float(
            random_replace)
        self.mask_token_id, self.whole_word = int(mask_token_id), bool(whole_word)
        special = torch.as_tensor(sorted(set(special_ids)), dtype=torch.long)
        pool = torch.zeros(vocab_size, dtype=torch.bool)
        ids = torch.as_tensor(sorted(vocab.values()), dtype=torch.long)
        pool[ids[ids < vocab_size]] = True  # embedding rows past the tokenizer's vocabulary are no tokens
        pool[special[special < vocab_size]] = False
        if not pool.any():
            raise SettingError(f"masking: the vocabulary has no ordinary token below vocab_size={vocab_size} "
                               "to draw random replacements from")
        self.register_buffer("special_ids", special, persistent=False)
        self.register_buffer("random_pool", torch.nonzero(pool).flatten(), persistent=False)
        table = word_start_table(vocab, vocab_size) if whole_word else torch.ones(0, dtype=torch.bool)
        self.register_buffer("word_start_table", table, persistent=False)

    def maskable(self, input_ids: Tensor, attention_mask: Tensor | None) -> Tensor:
        """(N, L) bool: tokens that are neither special nor padding."""
        out = ~torch.isin(input_ids, self.special_ids)
        return out if attention_mask is None else out & attention_mask.bool()

    def forward(self, input_ids: Tensor, attention_mask: Tensor | None = None,
                generator: torch.Generator | None = None) -> tuple[Tensor, Tensor]:
        maskable = self.maskable(input_ids, attention_mask)
        starts = word_starts(input_ids, maskable, self.word_start_table) if self.whole_word else None
        chosen = choose_positions(maskable, self.mask_prob, starts, generator)
        return replace_chosen(input_ids, chosen, self.mask_token_id, self.random_pool, self.mask_replace,
                              self.random_replace, generator)

    @classmethod
    def for_tokenizer(cls, tokenizer, vocab_size: int, setting: str = "MLM pretraining", **settings) -> Masker:
        """The masker of `tokenizer` over `vocab_size` embedding rows; `setting` names the user in errors."""
        if tokenizer.mask_token_id is None:
            raise SettingError(f"{setting} needs a mask token; the tokenizer {type(tokenizer).__name__} has none")
        return cls(list(tokenizer.all_special_ids), tokenizer.get_vocab(), vocab_size, tokenizer.mask_token_id,
                   **settings)

    def extra_repr(self) -> str:
        return (f"mask_prob={self.mask_prob}, mask_replace={self.mask_replace}, "
                f"random_replace={self.random_replace}, whole_word={self.whole_word}")
