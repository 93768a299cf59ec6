"""ArcCSE (Zhang et al., ACL 2022, "A Contrastive Framework for Learning Sentence Representations from Pairwise
and Triple-wise Perspective in Angular Space"): its batches and its triple-wise objective.

    L = L_arc + lambda * L_tri

L_arc, the pairwise term, is ArcCon on dropout pairs: `loss=arccon` (sentemb.losses.arccon; usable with any
model, so it lives there). L_tri, the triple-wise term, models the entailment of a sentence s and two masked
copies of it (section 3.3, "Modeling Entailment Relation of Triplet Sentences"): s' masks a contiguous span of
20% of the tokens, s'' a 40% span containing it, so s entails s' and s' entails s'', and s should be nearer
to s' than to s''. The paper's equation, as this project transcribed it (issue 5):

    L_tri = max(0, theta(s_i, s'_i) - theta(s_i, s''_i) + m),  theta = the angle between the two embeddings,

with m = 0 and lambda = 0.1. A public TensorFlow re-implementation (class `ArcLoss2N`, `loss_tri`, lines
156-161 of its loss file; the triplets encoded with `training=False`, lines 35-39) computes the same hinge on
cosines and for every pair (i, j) of the batch, a B x B matrix:

    L_tri = mean_{i,j} max(0, cos(s_i, s''_j) - cos(s_i, s'_j) + m),  m = 0, lambda = 0.1.

The settings of `TripleWiseObjective` cover both readings and what the paper leaves open (pairing own|all,
distance angle|cosine, through the MLP head or not, dropout or not, margin). experiments/arccse_triplet has the
measurements behind the default: the paper's own-triplet hinge at m = 0 is 0 on every batch of an encoder
that already orders masked copies (all-MiniLM-L6-v2), so the default is the re-implementation's pairing.
"""

from __future__ import annotations

import torch
from torch import Tensor
from torch.utils.data import get_worker_info

from sentemb.bases import BatchBuilderBase
from sentemb.data.batches import Batch, DropoutPairBuilder, pad_sequences
from sentemb.data.masked_span import SpanMasker
from sentemb.errors import SettingError
from sentemb.losses.arccon import clamped_arccos
from sentemb.methods.objectives import AuxiliaryObjective, AuxiliaryTerm, dropout_off

TRIPLET_IDS = "triplet_input_ids"
TRIPLET_MASK = "triplet_attention_mask"
SETTING = "model.auxiliary.triplet"
PAIRINGS = ("own", "all")
DISTANCES = ("angle", "cosine")


def resolve_mask_token_id(tokenizer, mask_token: str | None) -> int:
    """The id of `mask_token` (default: the tokenizer's own mask token), with an error naming the setting."""
    token = mask_token if mask_token is not None else tokenizer.mask_token
    if token is None:
        raise SettingError(f"the tokenizer {type(tokenizer).__name__} has no mask token: set "
                         "model.batch_builder.mask_token to a token of its vocabulary")
    token_id = tokenizer.convert_tokens_to_ids(token)
    if token_id is None or (token_id == tokenizer.unk_token_id and token != tokenizer.unk_token):
        raise SettingError(f"model.batch_builder.mask_token={token!r} is not in the tokenizer's vocabulary")
    return int(token_id)


class ArcCSEBatchBuilder(BatchBuilderBase):
    """Collate rows {"input_ids": list[int], "index": int} into an ArcCSE `Batch`.

    `Batch.input_ids` / `attention_mask` (B, 2, L): (s, s), two dropout views for the pairwise term, exactly as
    `DropoutPairBuilder` builds them. `Batch.extra[TRIPLET_IDS]` / `[TRIPLET_MASK]` (B, 3, L): (s, s', s'')
    (`sentemb.data.masked_span`); masked tokens are replaced by the mask token and stay attended to.

    Args:
        tokenizer: the backbone's tokenizer (pad, special and mask tokens).
        inner_ratio, outer_ratio: shares of the tokens masked in s' and s'' (ArcCSE: 0.2, 0.4).
        mask_token: the token written over masked spans; None = the tokenizer's mask token ([MASK], <mask>).
        seed: seeds the span positions; each DataLoader worker w uses seed + 1 + w.
    """

    num_views = 2

    def __init__(self, tokenizer, inner_ratio: float = 0.2, outer_ratio: float = 0.4,
                 mask_token: str | None = None, seed: int = 42):
        self.pairs = DropoutPairBuilder(tokenizer)
        self.pad_token_id = tokenizer.pad_token_id
        special = set(tokenizer.all_special_ids) - {tokenizer.unk_token_id}
        self.masker = SpanMasker(resolve_mask_token_id(tokenizer, mask_token), special | {self.pad_token_id},
                                 inner_ratio, outer_ratio, seed)
        self.seed = int(seed)
        self._worker_seeded: int | None = None

    def _seed_worker(self) -> None:
        info = get_worker_info()
        if info is not None and self._worker_seeded != info.id:
            self.masker.reseed(self.seed + 1 + info.id)
            self._worker_seeded = info.id

    def __call__(self, rows: list[dict]) -> Batch:
        self._seed_worker()
        batch = self.pairs(rows)
        sequences: list[list[int]] = []
        for row in rows:
            ids = list(row["input_ids"])
            masked = self.masker(ids)
            sequences.extend([ids, masked.inner, masked.outer])
        ids, mask = pad_sequences(sequences, self.pad_token_id)
        b = len(rows)
        batch.extra = {TRIPLET_IDS: ids.view(b, 3, -1), TRIPLET_MASK: mask.view(b, 3, -1)}
        return batch

    @staticmethod
    def triplet_block(batch: Batch) -> tuple[Tensor, Tensor]:
        """(ids (B, 3, L), mask (B, 3, L)) of an ArcCSE batch, with an error for batches of other builders."""
        if not batch.extra or TRIPLET_IDS not in batch.extra:
            raise SettingError("the triplet objective needs masked-span triplets in the batch: use "
                             "model.batch_builder._target_=sentemb.methods.arccse.ArcCSEBatchBuilder "
                             "(model=arccse does)")
        return batch.extra[TRIPLET_IDS], batch.extra[TRIPLET_MASK]


def triplet_distance(a: Tensor, b: Tensor, distance: str, eps: float = 1e-6) -> Tensor:
    """Distances between rows of a (N, D) and b (M, D) -> (N, M): the angle in radians (finite gradient at
    0) or 1 - cosine."""
    cosine = torch.nn.functional.normalize(a, dim=-1) @ torch.nn.functional.normalize(b, dim=-1).T
    return clamped_arccos(cosine, eps) if distance == "angle" else 1.0 - cosine


def triple_wise_hinges(triplet: Tensor, margin: float = 0.0, pairing: str = "own",
                       distance: str = "angle") -> Tensor:
    """triplet (B, 3, D) embeddings of (s, s', s'') -> hinges max(0, d(s_i, s'_j) - d(s_i, s''_j) + margin):
    (B,) for j = i (pairing "own"), (B, B) for every (i, j) (pairing "all"). Their mean is L_tri."""
    if triplet.dim() != 3 or triplet.shape[1] != 3:
        raise ValueError(f"the triplet term needs embeddings of shape (B, 3, D), got {tuple(triplet.shape)}")
    anchor, nearer, farther = triplet.unbind(1)
    gap = triplet_distance(anchor, nearer, distance) - triplet_distance(anchor, farther, distance) + margin
    return torch.relu(gap.diagonal() if pairing == "own" else gap)


def check_margin(margin: float, distance: str) -> float:
    """Angle margins in [-pi, pi] radians, cosine margins in [-2, 2]; a negative margin tolerates violations."""
    bound = torch.pi if distance == "angle" else 2.0
    margin = float(margin)
    if not -bound <= margin <= bound:
        raise SettingError(f"{SETTING}.margin must be in [-{bound:.4g}, {bound:.4g}] for distance={distance}, "
                         f"got {margin}")
    return margin


class TripleWiseObjective(AuxiliaryObjective):
    """ArcCSE's triple-wise term L_tri (module docstring) on the batch's masked-span triplets.

    Encodes `extra[TRIPLET_IDS]` (B, 3, L) in one forward pass through the module's encoder -> (B, 3, D) ->
    `triple_wise_hinges`; every embedding (s, s' and s'') carries gradient. Activity: the share of hinges > 0.

    Args:
        weight: lambda (ArcCSE: 0.1); 0 turns the term off (not computed). `model.auxiliary.triplet.weight`.
        margin: m, radians for distance="angle", cosine units for "cosine" (ArcCSE: 0).
        pairing: "all" (default; the re-implementation: every s_i against every s'_j, s''_j, B x B hinges) or
            "own" (the paper's equation: each s_i against its own s'_i, s''_i, B hinges).
        distance: "angle" (the paper: theta = arccos of the cosine) or "cosine" (the re-implementation:
            1 - cosine, i.e. the hinge on cosines).
        head: pass the triplets through the MLP head used in training (True, like the pairwise views), or
            take the pooled vector before it (False, as the re-implementation, which has no head; a head that
            runs in eval mode too, model.head_in_eval=true, is part of the encoder and stays).
        dropout: encode the triplets with dropout on; False (the re-implementation's training=False) switches
            the backbone to eval mode for that pass, so s, s' and s'' differ only by their masks.
    """

    def __init__(self, weight: float = 0.1, margin: float = 0.0, pairing: str = "all", distance: str = "angle",
                 head: bool = True, dropout: bool = False):
        super().__init__(weight, SETTING)
        if pairing not in PAIRINGS:
            raise SettingError(f"{SETTING}.pairing must be one of {PAIRINGS}, got {pairing!r}")
        if distance not in DISTANCES:
            raise SettingError(f"{SETTING}.distance must be one of {DISTANCES}, got {distance!r}")
        self.margin = check_margin(margin, distance)
        self.pairing, self.distance = pairing, distance
        self.head, self.dropout = bool(head), bool(dropout)

    def encode(self, module, batch: Batch) -> Tensor:
        """-> (B, 3, D) embeddings of (s, s', s'')."""
        ids, mask = ArcCSEBatchBuilder.triplet_block(batch)
        triplet = Batch(input_ids=ids, attention_mask=mask)
        encoder = module.encoder
        head_mode = encoder.training
        if not self.head:  # SentenceEncoder applies its training-only head when it is itself in training mode
            encoder.training = False
        try:
            if self.dropout:
                return module.embed(triplet)
            with dropout_off(encoder.model):
                return module.embed(triplet)
        finally:
            encoder.training = head_mode

    def forward(self, module, batch: Batch, embeddings: Tensor) -> AuxiliaryTerm:
        triplet = self.encode(module, batch)
        if self.pairing == "all":  # every s_i against every s'_j, s''_j of the whole (gathered) batch
            triplet = module.gather(triplet)
        hinges = triple_wise_hinges(triplet, self.margin, self.pairing, self.distance)
        return AuxiliaryTerm(hinges.mean(), activity=float((hinges > 0).float().mean()))

    def extra_repr(self) -> str:
        return (f"weight={self.weight}, margin={self.margin}, pairing={self.pairing}, distance={self.distance}, "
                f"head={self.head}, dropout={self.dropout}")
