"""Start-up check that a loss can use what a sampler gives (one place for every such rule).

A sampler may fill optional `ContrastivePairs` fields (`produces`: field -> the setting that asks for it);
a loss says which optional fields it uses (`consumes`) and which it cannot do without (`requires`).
A field given but not used, or needed but not given, is a configuration mistake: it is reported before
any data is loaded, naming both settings. Samplers or losses without these attributes produce / use
nothing optional.
"""

from __future__ import annotations

from sentemb.errors import SettingError

FIELDS = {
    "tau_plus": "DCL's debiasing prior tau_plus",
    "negative_weight": "per-negative weights",
    "neighbours": "k-nearest-neighbour neighbourhoods",
    "pair_labels": "labels or scores of row-aligned pairs",
}


class IncompatibleConfigError(SettingError):
    """A loss and a sampler (or a sampler and the data) that cannot be used together."""


def _name(obj, group: str) -> str:
    return f"{group}={getattr(obj, 'config_name', None) or type(obj).__name__}"


def check_compatible(loss, sampler, batch_size: int | None = None) -> None:
    """Raise IncompatibleConfigError if `loss` ignores or lacks a field of `sampler`'s pairs, or if
    `batch_size` (data.batch_size) is too small for the sampler."""
    produces: dict[str, str] = dict(getattr(sampler, "produces", {}) or {})
    consumes = frozenset(getattr(loss, "consumes", ()))
    requires = frozenset(getattr(loss, "requires", ()))
    loss_name, sampler_name = _name(loss, "loss"), _name(sampler, "sampler")
    ignored = [f for f in produces if f not in consumes]
    if ignored:
        what = "; ".join(f"{FIELDS.get(f, f)} ({produces[f]})" for f in ignored)
        raise IncompatibleConfigError(
            f"{loss_name} cannot use what {sampler_name} gives: {what}. The setting would be silently "
            f"ignored; pick a loss that uses it (e.g. loss=infonce for tau_plus/weights, loss=vascl for "
            f"neighbourhoods) or another sampler (e.g. sampler=in_batch).")
    if getattr(sampler, "missing_temperature", False):
        raise IncompatibleConfigError(
            f"{sampler_name} weighs negatives with the loss temperature, which {loss_name} does not have: "
            "set sampler.temperature, or use loss=infonce.")
    missing = [f for f in requires if f not in produces]
    if missing:
        what = "; ".join(FIELDS.get(f, f) for f in missing)
        hint = " (sampler=knn gives them)" if "neighbours" in missing else ""
        raise IncompatibleConfigError(f"{loss_name} needs {what}, which {sampler_name} does not give{hint}.")
    if batch_size is not None and batch_size < 2 and not getattr(sampler, "requires_labels", None) == "pair":
        raise IncompatibleConfigError(
            f"data.batch_size={batch_size}: {sampler_name} with {loss_name} contrasts each example with the "
            "others of its batch, so a batch of 1 has no negatives; use data.batch_size >= 2 (SimCSE: 64).")
    min_batch = getattr(sampler, "min_batch_size", None)
    if batch_size is not None and callable(min_batch) and batch_size < min_batch():
        raise IncompatibleConfigError(
            f"{sampler_name} ({', '.join(produces.values())}) needs data.batch_size >= {min_batch()}, "
            f"got data.batch_size={batch_size}: lower sampler.k below the batch size or raise the batch size.")


def check_data(loss, sampler, data_cls: type | None) -> None:
    """Refuse, before any data loads, a sampler or loss needing what the data module class does not give:
    `requires_labels` ("class" | "pair") against the data's `provides_labels`, and `requires_hard_negatives`
    against `provides_hard_negatives` (NLI triplets)."""
    if data_cls is None:
        return
    loss_name, sampler_name = _name(loss, "loss"), _name(sampler, "sampler")
    data_name = data_cls.__name__
    need = getattr(sampler, "requires_labels", None)
    if need and getattr(data_cls, "provides_labels", None) != need:
        hint = ("data=banking77, clinc150, snips or labelled_csv" if need == "class"
                else "data=stsb_train, snli_pairs or pair_csv")
        raise IncompatibleConfigError(
            f"{sampler_name} (with {loss_name}) needs {need} labels in every batch, which {data_name} does not "
            f"give: use {hint}, or another sampler (e.g. sampler=in_batch).")
    if getattr(loss, "requires_hard_negatives", False) and not getattr(data_cls, "provides_hard_negatives", False):
        raise IncompatibleConfigError(
            f"{loss_name} ({getattr(loss, 'setting', '')}) with {sampler_name} needs hard negatives, which "
            f"{data_name} does not give: use NLI triplets (data=nli_sample, nli or triplet_csv).")
