"""False negatives: in-batch "negatives" that mean the same as the anchor, detected, then eliminated from the
denominator or attracted as extra positives.

Huynh et al., WACV 2022, "Boosting Contrastive Self-Supervised Learning with False Negative Cancellation"
(elimination and attraction); Chen et al., ICLR 2022, "Incremental False Negative Detection for Contrastive
Learning". A non-positive candidate j of anchor i is flagged when any enabled test holds:

    same_text   j's text equals i's after normalisation (`sentemb.data.text_ids`; batches carry text_ids)
    same_label  j's example has i's label (when the batch has integer labels)
    top_k       j is among the k negatives of i with the highest cosine (computed without gradient)
    threshold   cos(i, j) >= threshold (without gradient)

mode=eliminate: flagged candidates get negative_weight 0 (they leave the denominator).
mode=attract:   flagged candidates become positives (multi-positive InfoNCE, SupCon's L_out).

Layouts (`anchors`):
    first_view  as sampler=in_batch: anchors = view 0 (B, D), candidates = views 1..V-1 stacked view by view
                ((V-1)*B, D): dropout pairs (V=2) and NLI triplets (V=3, contradictions are negatives).
    all_views   as sampler=label: all B*V embeddings are anchors and candidates (row v*B + b), the other views
                of an example are its positives, the anchor itself is excluded. Only for batches whose views
                are all the same text (dropout pairs, labelled views); with same_label and mode=attract this
                is exactly SupCon (sampler=label).

`base` adds a negative weighting on the negatives that remain: in_batch (none), debiased (DCL's tau_plus),
hard (HCL's beta-weights, normalised over the remaining negatives, with tau_plus). DCL's estimator gives each
positive its own term with the other positives outside the denominator, so mode=attract is refused with
tau_plus > 0 (attract with base=hard needs sampler.tau_plus=0).

Similarities for top_k / threshold come from the batch's own embeddings, or with `momentum` = m from a
momentum copy of the encoder (`sentemb.methods.momentum`, eval mode, EMA with m after every step), which
ContrastiveModule runs on the batch and passes as `detect_embeddings` (Chen et al.'s stable detector).
"""

from __future__ import annotations

from dataclasses import replace

import torch
from torch import Tensor

from sentemb.bases import SamplerBase
from sentemb.errors import SettingError
from sentemb.samplers.debiased import check_tau_plus
from sentemb.samplers.hard import HardNegativeSampler
from sentemb.samplers.in_batch import ANCHORS, InBatchSampler, all_views_pairs, check_views_share_text
from sentemb.samplers.pairs import ContrastivePairs

MODES = ("eliminate", "attract")
BASES = ("in_batch", "debiased", "hard")


def layout(embeddings: Tensor, anchors: str) -> tuple[ContrastivePairs, Tensor, Tensor, Tensor, Tensor, Tensor]:
    """embeddings (B, V, D) -> (pairs, excluded (N, M) bool, anchors' example and view (N,), (N,), candidates'
    example and view (M,), (M,)). `excluded` marks candidates that are neither positives nor negatives (the anchor itself)."""
    b, v, _ = embeddings.shape
    device = embeddings.device
    if v < 2:
        raise SettingError(f"sampler=false_negative needs at least 2 views per example, got {v}")
    rows = torch.arange(b, device=device)
    if anchors == "first_view":
        pairs = InBatchSampler()(embeddings)
        cand_view = torch.arange(1, v, device=device).repeat_interleave(b)
        excluded = torch.zeros_like(pairs.positive_mask)
        return pairs, excluded, rows, torch.zeros_like(rows), rows.repeat(v - 1), cand_view
    pairs = all_views_pairs(embeddings)
    example, view = rows.repeat(v), torch.arange(v, device=device).repeat_interleave(b)
    return replace(pairs, negative_weight=None), pairs.negative_weight == 0, example, view, example, view


def top_k_mask(similarity: Tensor, negatives: Tensor, k: int) -> Tensor:
    """(N, M) similarities and negatives mask -> (N, M) bool: each row's k most similar negatives (fewer
    when a row has fewer negatives)."""
    k = min(k, similarity.shape[1])
    scores = similarity.masked_fill(~negatives, float("-inf"))
    values, idx = scores.topk(k, dim=1)
    out = torch.zeros_like(negatives)
    out.scatter_(1, idx, torch.isfinite(values))
    return out & negatives


class FalseNegativeSampler(SamplerBase):
    """(B, V, D) embeddings, labels (B,) or None, text_ids (B, V) or None -> ContrastivePairs with flagged
    false negatives eliminated (weight 0) or attracted (positives). Logged: `stats["false_negatives"]`
    (flagged pairs this step) and `stats["false_negative_rate"]` (flagged / negatives before flagging).

    Args:
        mode: "eliminate" | "attract".
        base: "in_batch" | "debiased" | "hard" (weighting of the remaining negatives, see the module).
        anchors: "first_view" | "all_views" (layout, see the module).
        same_text, same_label: detection tests (a) and (b); same_label is skipped for batches without labels.
        top_k: flag each anchor's k most similar negatives (0 = off). threshold: flag negatives with
            cosine >= threshold (null = off).
        dedupe: (eliminate with same_text) also remove the later copies of a repeated text from the batch: as
            candidates of every anchor (weight 0) and as anchors (no positive, skipped by the loss), so the loss
            is InfoNCE on the de-duplicated batch. Logged: stats["duplicates_removed"].
        momentum: null, or m in [0, 1): top_k / threshold similarities from a momentum encoder (see above).
        tau_plus: DCL's prior for base=debiased / hard (null = 0.1, their default); beta: HCL's concentration
            for base=hard (null = 1.0); temperature: HCL's tau (conf takes loss.temperature).
    """

    config_name = "false_negative"
    uses_text_ids = True  # ContrastiveModule passes the batch's text_ids=

    def __init__(self, mode: str = "eliminate", base: str = "in_batch", anchors: str = "first_view",
                 same_text: bool = True, same_label: bool = True, top_k: int = 0, threshold: float | None = None,
                 dedupe: bool = False, momentum: float | None = None, tau_plus: float | None = None,
                 beta: float | None = None, temperature: float | None = 0.05):
        for name, value, allowed in (("mode", mode, MODES), ("base", base, BASES), ("anchors", anchors, ANCHORS)):
            if value not in allowed:
                raise SettingError(f"sampler.{name} must be one of {allowed}, got {value!r}")
        if int(top_k) != top_k or top_k < 0:
            raise SettingError(f"sampler.top_k must be an integer >= 0 (0 = off), got {top_k}")
        if threshold is not None and not -1.0 <= threshold <= 1.0:
            raise SettingError(f"sampler.threshold must be a cosine in [-1, 1] or null, got {threshold}")
        if not (same_text or same_label or top_k or threshold is not None):
            raise SettingError("sampler=false_negative detects nothing: enable sampler.same_text, sampler.same_label, "
                             "sampler.top_k > 0 or sampler.threshold")
        if dedupe and not (same_text and mode == "eliminate"):
            raise SettingError("sampler.dedupe=true removes repeated texts from the batch and goes with "
                             "sampler.mode=eliminate and sampler.same_text=true; set sampler.dedupe=false")
        if momentum is not None and not (top_k or threshold is not None):
            raise SettingError(f"sampler.momentum={momentum} gives the similarities of sampler.top_k / threshold "
                             "detection, which are off: set one of them or leave momentum null")
        if momentum is not None and not 0.0 <= momentum < 1.0:
            raise SettingError(f"sampler.momentum must be in [0, 1) or null, got {momentum}")
        self.momentum = None if momentum is None else float(momentum)
        self.mode, self.base, self.anchors, self.dedupe = mode, base, anchors, bool(dedupe)
        self.same_text, self.same_label = bool(same_text), bool(same_label)
        self.top_k, self.threshold = int(top_k), None if threshold is None else float(threshold)
        if base == "in_batch" and (tau_plus is not None or beta is not None):
            raise SettingError(f"sampler.tau_plus / sampler.beta (got {tau_plus}, {beta}) weight negatives only with "
                             "sampler.base=debiased or hard; base=in_batch uses neither: leave them null")
        if base == "debiased" and beta is not None:
            raise SettingError(f"sampler.beta={beta} is HCL's setting: use sampler.base=hard, or leave beta null")
        self.tau_plus = 0.0 if base == "in_batch" else check_tau_plus(0.1 if tau_plus is None else tau_plus)
        if mode == "attract" and self.tau_plus > 0:
            raise SettingError(
                f"sampler.mode=attract with sampler.base={base} (tau_plus={self.tau_plus}): DCL's debiased term "
                "scores each positive against the negatives only, so the attracted positives would not form "
                "SupCon's multi-positive loss, and tau_plus would correct a second time for false negatives "
                "already moved to the positives. Use mode=eliminate, or base=hard with sampler.tau_plus=0.")
        self.hard = None
        if base == "hard":
            self.hard = HardNegativeSampler(1.0 if beta is None else beta, 0.0, temperature)

    @property
    def missing_temperature(self) -> bool:
        return self.hard is not None and self.hard.missing_temperature

    @property
    def produces(self) -> dict[str, str]:
        """Optional ContrastivePairs fields this sampler fills -> the setting that asks for them."""
        out = {"negative_weight": f"sampler=false_negative (mode={self.mode}, base={self.base}) weights negatives"}
        if self.tau_plus > 0:
            out["tau_plus"] = f"sampler.base={self.base} tau_plus={self.tau_plus}"
        return out

    def min_batch_size(self) -> int:
        """With top_k, each anchor keeps at least one unflagged negative in a full batch."""
        return self.top_k + 2 if self.top_k else 2

    def carries_label(self, cand_of: tuple[Tensor, Tensor], text_ids: Tensor | None) -> Tensor:
        """(M,) bool: candidates that carry their example's label: view 1 (a dropout copy or an NLI
        entailment) and, in the first_view layout, views >= 2 only when they are the example's text (labelled
        views); an NLI contradiction does not share its row's label. In all_views every view does."""
        example, view = cand_of
        if self.anchors == "all_views":
            return torch.ones_like(view, dtype=torch.bool)
        out = view == 1
        if text_ids is not None:
            out |= text_ids[example, view] == text_ids[example, 0]
        return out

    def duplicates(self, a_ex: Tensor, c_of: tuple[Tensor, Tensor], text_ids: Tensor) -> tuple[Tensor, Tensor]:
        """Later copies of a text, removed from the batch by `dedupe`: anchors (N,) whose example's text an
        earlier example has, and candidates (M,) whose text an earlier candidate has (first_view) or whose
        example is a later copy (all_views, where all views of an example are its text)."""
        def later(ids: Tensor) -> Tensor:
            same = ids.unsqueeze(1) == ids.unsqueeze(0)
            return torch.tril(same, diagonal=-1).any(1)

        later_example = later(text_ids[:, 0])
        if self.anchors == "all_views":
            return later_example[a_ex], later_example[c_of[0]]
        return later_example[a_ex], later(text_ids[c_of])

    def detect(self, pairs: ContrastivePairs, negatives: Tensor, anchor_of: tuple[Tensor, Tensor],
               cand_of: tuple[Tensor, Tensor], labels: Tensor | None, text_ids: Tensor | None,
               detect_embeddings: Tensor | None = None) -> Tensor:
        """(N, M) bool: the negatives flagged as false negatives."""
        flagged = torch.zeros_like(negatives)
        if self.same_text:
            if text_ids is None:
                raise SettingError("sampler.same_text=true needs the texts' ids in the batch (Batch.text_ids), which "
                                 "this data option's batches do not carry: use data=text_file / wiki_sample or a "
                                 "labelled / NLI data option, or set sampler.same_text=false")
            a_ids, c_ids = text_ids[anchor_of], text_ids[cand_of]
            flagged |= a_ids.unsqueeze(1) == c_ids.unsqueeze(0)
        if self.same_label and labels is not None:
            if labels.is_floating_point():
                raise SettingError("sampler.same_label=true needs integer class labels, got float labels (scores): "
                                 "set sampler.same_label=false")
            same = labels[anchor_of[0]].unsqueeze(1) == labels[cand_of[0]].unsqueeze(0)
            flagged |= same & self.carries_label(cand_of, text_ids).unsqueeze(0)
        if self.top_k or self.threshold is not None:
            with torch.no_grad():
                if self.momentum is not None:
                    similarity = layout(detect_embeddings.detach(), self.anchors)[0].cosine()
                else:
                    similarity = pairs.cosine().detach()
            if self.top_k:
                flagged |= top_k_mask(similarity, negatives, self.top_k)
            if self.threshold is not None:
                flagged |= similarity >= self.threshold
        return flagged & negatives

    def __call__(self, embeddings: Tensor, labels: Tensor | None = None, text_ids: Tensor | None = None,
                 detect_embeddings: Tensor | None = None) -> ContrastivePairs:
        b, v, _ = embeddings.shape
        if self.momentum is not None and (detect_embeddings is None or detect_embeddings.shape[:2] != (b, v)):
            got = None if detect_embeddings is None else tuple(detect_embeddings.shape)
            raise SettingError(f"sampler.momentum={self.momentum} needs the momentum encoder's embeddings of the batch "
                             f"(detect_embeddings of shape ({b}, {v}, D), got {got}); ContrastiveModule gives them")
        if labels is not None and labels.shape != (b,):
            raise ValueError(f"sampler=false_negative: labels have shape {tuple(labels.shape)}, expected ({b},)")
        if text_ids is not None:
            if text_ids.shape != (b, v):
                raise ValueError(f"sampler=false_negative: text_ids have shape {tuple(text_ids.shape)}, "
                                 f"expected ({b}, {v})")
            if self.anchors == "all_views":
                check_views_share_text(text_ids, "sampler.anchors=all_views")
        pairs, excluded, a_ex, a_view, c_ex, c_view = layout(embeddings, self.anchors)
        negatives = ~pairs.positive_mask & ~excluded
        flagged = self.detect(pairs, negatives, (a_ex, a_view), (c_ex, c_view), labels, text_ids,
                              detect_embeddings)
        positive = pairs.positive_mask | flagged if self.mode == "attract" else pairs.positive_mask
        weight = (~excluded).to(embeddings.dtype)
        if self.hard is not None:  # HCL weights normalised over the negatives that remain
            kept = negatives & ~flagged
            weight = weight * self.hard.weights(replace(pairs, positive_mask=~kept))
        if self.mode == "eliminate":
            weight = weight.masked_fill(flagged, 0.0)
        n_flagged = int(flagged.sum())
        stats = {"false_negatives": float(n_flagged),
                 "false_negative_rate": n_flagged / max(int(negatives.sum()), 1)}
        if self.dedupe and text_ids is not None:
            later_anchor, later_cand = self.duplicates(a_ex, (c_ex, c_view), text_ids)
            positive = positive & ~later_anchor.unsqueeze(1)  # an anchor without positives is skipped
            weight = weight.masked_fill(later_cand.unsqueeze(0) & ~positive, 0.0)
            stats["duplicates_removed"] = float(later_anchor.sum())
        return ContrastivePairs(pairs.anchors, pairs.candidates, positive, weight, tau_plus=self.tau_plus,
                                stats=stats)
