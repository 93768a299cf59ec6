"""Start-up check that a loss can use what a sampler gives (one place for every such rule).

A sampler may fill optional `ContrastivePairs` fields (`produces`: field -> the setting that asks for it);
a loss says which optional fields it uses (`consumes`) and which it cannot do without (`requires`).
A field given but not used, or needed but not given, is a configuration mistake: it is reported before
any data is loaded, naming both settings. Each piece is first checked against its contract
(`sentemb.contracts`); the members read here have their defaults in `SamplerBase` / `LossBase` /
`DataModuleBase`.
"""

from __future__ import annotations

from sentemb.contracts import Loss, Sampler, TrainingData, check_contract
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
    return f"{group}={obj.config_name or type(obj).__name__}"


def check_compatible(loss, sampler, batch_size: int | None = None) -> None:
    """Raise IncompatibleConfigError if `loss` ignores or lacks a field of `sampler`'s pairs, or if
    `batch_size` (data.batch_size) is too small for the sampler."""
    check_contract(loss, Loss, "loss")
    check_contract(sampler, Sampler, "sampler")
    produces, consumes, requires = dict(sampler.produces), frozenset(loss.consumes), frozenset(loss.requires)
    loss_name, sampler_name = _name(loss, "loss"), _name(sampler, "sampler")
    ignored = [f for f in produces if f not in consumes]
    if ignored:
        what = "; ".join(f"{FIELDS.get(f, f)} ({produces[f]})" for f in ignored)
        raise IncompatibleConfigError(
            f"{loss_name} cannot use what {sampler_name} gives: {what}. The setting would be silently "
            "ignored; pick a loss whose `consumes` lists it (loss=infonce uses tau_plus and weights) or another "
            "sampler (e.g. sampler=in_batch).")
    if sampler.missing_temperature:
        raise IncompatibleConfigError(
            f"{sampler_name} weighs negatives with the loss temperature, which {loss_name} does not have: "
            "set sampler.temperature, or use loss=infonce.")
    missing = [f for f in requires if f not in produces]
    if missing:
        what = "; ".join(FIELDS.get(f, f) for f in missing)
        hint = " (sampler=knn gives them)" if "neighbours" in missing else ""
        raise IncompatibleConfigError(f"{loss_name} needs {what}, which {sampler_name} does not give{hint}.")
    if batch_size is not None and batch_size < 2 and sampler.requires_labels != "pair":
        raise IncompatibleConfigError(
            f"data.batch_size={batch_size}: {sampler_name} with {loss_name} contrasts each example with the "
            "others of its batch, so a batch of 1 has no negatives; use data.batch_size >= 2 (64 in the papers' "
            "recipes).")
    if batch_size is not None and batch_size < sampler.min_batch_size():
        raise IncompatibleConfigError(
            f"{sampler_name} ({', '.join(produces.values())}) needs data.batch_size >= {sampler.min_batch_size()}, "
            f"got data.batch_size={batch_size}: lower sampler.k below the batch size or raise the batch size.")


def check_data(loss, sampler, data_cls: type | None) -> None:
    """Refuse, before any data loads, a sampler or loss needing what the data module class does not give:
    `requires_labels` ("class" | "pair") against the data's `provides_labels`, and `requires_hard_negatives`
    against `provides_hard_negatives` (NLI triplets)."""
    if data_cls is None:
        return
    check_contract(data_cls, TrainingData, "data")
    loss_name, sampler_name = _name(loss, "loss"), _name(sampler, "sampler")
    data_name = data_cls.__name__
    need = sampler.requires_labels
    if need and data_cls.provides_labels != need:
        hint = ("data=banking77, clinc150, snips or labelled_csv" if need == "class"
                else "data=stsb_train, snli_pairs or pair_csv")
        raise IncompatibleConfigError(
            f"{sampler_name} (with {loss_name}) needs {need} labels in every batch, which {data_name} does not "
            f"give: use {hint}, or another sampler (e.g. sampler=in_batch).")
    if loss.requires_hard_negatives and not data_cls.provides_hard_negatives:
        raise IncompatibleConfigError(
            f"{loss_name} ({loss.requires_hard_negatives}) with {sampler_name} needs hard negatives, which "
            f"{data_name} does not give: use NLI triplets (data=nli_sample, nli or triplet_csv).")
