"""Batch builders for supervised data: rows with several texts (views) and a label -> `Batch` (B, V, L).

Rows come from `ViewsDataModule` subclasses: {"views": [ids_1, ..., ids_V], "label": int | float | None,
"index": int}. All views of a batch are padded to one common length.

    TripletBuilder        NLI (anchor, entailment, contradiction), V = 3     -> supervised SimCSE
    PairBuilder           (s1, s2) + label (NLI class or score), V = 2      -> SBERT objectives, CoSENT
    LabelledViewsBuilder  one labelled text, repeated `num_views` times (views differ by dropout) -> SupCon
"""

from __future__ import annotations

import torch

from sentemb.bases import BatchBuilderBase
from sentemb.data.batches import Batch, pad_sequences
from sentemb.errors import SettingError


def _views_batch(rows: list[dict], pad_id: int, expected_views: int, repeat: int, need_labels: bool,
                 who: str, data_hint: str) -> Batch:
    if not rows or "views" not in rows[0]:
        raise SettingError(f"{who} needs rows with {expected_views} text(s) each: use {data_hint} "
                         f"(got rows with keys {sorted(rows[0]) if rows else []})")
    got = len(rows[0]["views"])
    if got != expected_views or any(len(r["views"]) != got for r in rows):
        raise SettingError(f"{who} needs {expected_views} text(s) per row, got {got}: use {data_hint}")
    labels = [r.get("label") for r in rows]
    if need_labels and any(label is None for label in labels):
        raise SettingError(f"{who} needs a label per row: use {data_hint}")
    flat = [r["views"][v] for r in rows for v in range(got)]
    ids, mask = pad_sequences(flat, pad_id)
    b, length = len(rows), ids.shape[1]
    ids, mask = ids.view(b, got, length), mask.view(b, got, length)
    text_ids = None
    if all("text_ids" in r for r in rows):
        text_ids = torch.as_tensor([r["text_ids"] for r in rows], dtype=torch.long).view(b, got)
    if repeat > 1:
        ids, mask = ids.repeat_interleave(repeat, dim=1), mask.repeat_interleave(repeat, dim=1)
        text_ids = None if text_ids is None else text_ids.repeat_interleave(repeat, dim=1)
    return Batch(
        input_ids=ids,
        attention_mask=mask,
        labels=None if any(label is None for label in labels) else torch.as_tensor(labels),
        index=torch.as_tensor([r.get("index", -1) for r in rows], dtype=torch.long),
        text_ids=text_ids,
    )


class TripletBuilder(BatchBuilderBase):
    """(anchor, positive, hard negative) rows -> Batch with V = 3 (labels kept if the rows have them)."""

    num_views = 3

    def __init__(self, tokenizer):
        self.pad_token_id = tokenizer.pad_token_id

    def __call__(self, rows: list[dict]) -> Batch:
        return _views_batch(rows, self.pad_token_id, 3, 1, False, "model=simcse_sup (TripletBuilder)",
                            "NLI triplet data: data=nli_sample, nli or triplet_csv")


class PairBuilder(BatchBuilderBase):
    """(s1, s2, label) rows -> Batch with V = 2 and labels (B,): long for classes, float for scores."""

    num_views = 2

    def __init__(self, tokenizer):
        self.pad_token_id = tokenizer.pad_token_id

    def __call__(self, rows: list[dict]) -> Batch:
        return _views_batch(rows, self.pad_token_id, 2, 1, True, "PairBuilder (model=sbert, cosent)",
                            "labelled pair data: data=stsb_train, snli_pairs or pair_csv")


class LabelledViewsBuilder(BatchBuilderBase):
    """(text, label) rows -> Batch with V = num_views copies of each text (dropout makes them differ)."""

    def __init__(self, tokenizer, num_views: int = 2):
        if num_views < 1:
            raise SettingError(f"model.batch_builder.num_views must be >= 1, got {num_views}")
        self.pad_token_id = tokenizer.pad_token_id
        self.num_views = int(num_views)

    def __call__(self, rows: list[dict]) -> Batch:
        return _views_batch(rows, self.pad_token_id, 1, self.num_views, True, "model=supcon (LabelledViewsBuilder)",
                            "labelled data: data=banking77, clinc150, snips or labelled_csv")
