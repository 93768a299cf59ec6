"""`python -m sentemb.pretrain [overrides]`: masked-language-model pretraining (conf/pretrain.yaml).

    python -m sentemb.pretrain experiment=pretrain_mini_offline        # the offline base, 60 min on 2 cores
    python -m sentemb.pretrain backbone=minilm_l6 corpus.sources=[] corpus.files=[my.txt] trainer.max_steps=2000

`pretrain(cfg)` (kept free of `@hydra.main` for tests): corpus -> tokenizer -> model -> fit within the
step/time budget -> final held-out evaluation -> curve (jsonl + PNG) -> Hugging Face folder in
`<output_dir>/model` (and a copy in `export_dir` when set). See sentemb.pretraining for the pieces.
"""

from __future__ import annotations

import json
import logging
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

import hydra
from omegaconf import DictConfig, OmegaConf

import sentemb.conf_resolvers  # noqa: F401  (registers ${sentemb.*:} resolvers)
from sentemb.errors import SettingError, in_multirun, report_user_errors
from sentemb.paths import conf_dir
from sentemb.progress import quiet_library_bars

log = logging.getLogger(__name__)

CURVE_JSONL, CURVE_PNG, RESULTS = "heldout_curve.jsonl", "heldout_accuracy.png", "pretrain_results.json"


def max_time_seconds(value: Any) -> float | None:
    """Lightning's max_time ("DD:HH:MM:SS" or {days, hours, minutes, seconds}) in seconds; None if unset."""
    if value in (None, ""):
        return None
    if isinstance(value, str):
        parts = [float(x) for x in value.split(":")]
        if len(parts) != 4:
            raise SettingError(f"trainer.max_time must be 'DD:HH:MM:SS', got {value!r}")
        return ((parts[0] * 24 + parts[1]) * 60 + parts[2]) * 60 + parts[3]
    value = dict(value)
    return (value.get("days", 0) * 86400 + value.get("hours", 0) * 3600 + value.get("minutes", 0) * 60
            + value.get("seconds", 0))


def time_budget(cfg: DictConfig, started: float) -> float | None:
    """Seconds left for fitting: `time_budget_minutes` for the whole job, less what setup used and the
    `time_reserve_seconds` kept for the final evaluation and saving; else trainer.max_time."""
    minutes = cfg.get("time_budget_minutes")
    if minutes:
        left = float(minutes) * 60 - (time.perf_counter() - started) - float(cfg.get("time_reserve_seconds", 60))
        if left <= 0:
            raise SettingError(f"time_budget_minutes={minutes}: the setup (corpus, tokenizer) already used "
                               f"{time.perf_counter() - started:.0f} s; no time is left to train")
        return left
    return max_time_seconds(cfg.trainer.get("max_time"))


def check_entry(cfg: DictConfig) -> None:
    if cfg.get("entry_point") != "sentemb.pretrain" or cfg.get("loss") is not None:
        raise SettingError("this config is not an MLM pretraining config (a contrastive experiment= recipe?): "
                         "run contrastive recipes with `python -m sentemb.run experiment=...`")


def build_trainer(cfg: DictConfig, budget_seconds: float | None):
    import lightning as L
    from hydra.utils import instantiate
    from lightning.pytorch.callbacks import ModelCheckpoint

    from sentemb.checkpointing import AtomicCheckpointIO, GracefulInterrupt
    from sentemb.training.build import build_loggers

    out = Path(cfg.output_dir)
    callbacks: list[L.Callback] = [GracefulInterrupt(str(out / "checkpoints" / "last.ckpt"))]
    every = cfg.get("checkpoint_every_n_steps")
    if every:
        callbacks.append(ModelCheckpoint(dirpath=str(out / "checkpoints"), save_last=True, save_top_k=0,
                                         every_n_train_steps=int(every)))
    trainer_cfg = OmegaConf.to_container(cfg.trainer, resolve=True)
    trainer_cfg.pop("max_time", None)  # passed as a timedelta (fractions of a second; a dict would become a DictConfig)
    max_time = timedelta(seconds=budget_seconds) if budget_seconds is not None else None
    loggers = build_loggers(cfg)
    return instantiate(trainer_cfg, callbacks=callbacks, logger=loggers or False, default_root_dir=str(out),
                       plugins=[AtomicCheckpointIO()], max_time=max_time), loggers


def pretrain(cfg: DictConfig) -> dict:
    """Run MLM pretraining as `cfg` says; return the results dict (also written to pretrain_results.json)."""
    import lightning as L
    import torch
    from lightning.pytorch.utilities.exceptions import SIGTERMException

    from sentemb.checkpointing import TrainingInterrupted
    from sentemb.pretraining.build import backbone_source, build_model, build_tokenizer
    from sentemb.pretraining.corpus import build_corpus
    from sentemb.pretraining.data import MLMDataModule
    from sentemb.pretraining.export import (
        check_export_dir,
        copy_folder,
        plot_curve,
        read_curve,
        save_model_folder,
    )
    from sentemb.pretraining.module import MLMPretrainModule
    from sentemb.pretraining.tokenizer import save_tokenizer
    from sentemb.run_info import save_run_info
    from sentemb.training.build import resolve_resume

    started = time.perf_counter()
    check_entry(cfg)
    out = Path(cfg.output_dir)
    L.seed_everything(cfg.seed, workers=True)
    if cfg.get("float32_matmul_precision"):
        torch.set_float32_matmul_precision(cfg.float32_matmul_precision)
    if cfg.get("num_threads"):
        torch.set_num_threads(int(cfg.num_threads))
    save_run_info(cfg, out)
    export = check_export_dir(cfg.get("export_dir"), bool(cfg.get("export_overwrite", False)))
    source = backbone_source(cfg.get("backbone"))
    c = cfg.corpus
    corpus = build_corpus(c.data_dir, sources=list(c.sources), files=list(c.files or []), exclude=list(c.exclude),
                          heldout_fraction=c.heldout_fraction, heldout_max_lines=c.heldout_max_lines,
                          max_lines=c.max_lines, seed=cfg.seed, wordnet_dir=c.get("wordnet_dir"))
    resume = resolve_resume(cfg.get("resume"))
    saved_tokenizer = Path(resume).parent.parent / "tokenizer" if resume else None
    if saved_tokenizer is not None and saved_tokenizer.is_dir():  # resuming: the run's own tokenizer, not a retrained one
        tokenizer, trained_tokenizer = build_tokenizer({"name_or_path": str(saved_tokenizer)}, None, [])
    else:
        tokenizer, trained_tokenizer = build_tokenizer(cfg.tokenizer, source, corpus.train)
    save_tokenizer(tokenizer, out / "tokenizer")
    model = build_model(OmegaConf.to_container(cfg.model.architecture, resolve=True), source, tokenizer)
    b = cfg.batching
    data = MLMDataModule(corpus.train, corpus.heldout, tokenizer, max_length=b.max_length, batch_size=b.batch_size,
                         eval_batch_size=b.eval_batch_size, packing=b.packing, num_workers=b.num_workers,
                         group_by_length=b.get("group_by_length", 0), seed=cfg.seed)
    data.setup("fit")
    setup_seconds = time.perf_counter() - started
    budget = time_budget(cfg, started)
    trainer, loggers = build_trainer(cfg, budget)
    module = MLMPretrainModule(model, tokenizer, masking=OmegaConf.to_container(cfg.masking, resolve=True),
                               optim=OmegaConf.to_container(cfg.optim, resolve=True), dropout=cfg.model.get("dropout"),
                               history_path=str(out / CURVE_JSONL), budget_seconds=budget)
    fit_start = time.perf_counter()
    try:
        trainer.fit(module, datamodule=data, ckpt_path=resume)
    except SIGTERMException as err:
        raise TrainingInterrupted(f"pretraining stopped by a signal at step {trainer.global_step}; continue with: "
                                  f"python -m sentemb.pretrain <same overrides> resume={out}") from err
    fit_seconds = time.perf_counter() - fit_start
    curve = read_curve(out / CURVE_JSONL)
    if not curve or curve[-1]["step"] != trainer.global_step:
        trainer.validate(module, datamodule=data, verbose=False)  # the final point of the curve
        curve = read_curve(out / CURVE_JSONL)
    final = curve[-1] if curve else {}
    plot_curve(curve, out / CURVE_PNG)
    results = {
        "global_step": trainer.global_step, "tokens_seen": module.tokens_seen,
        "fit_seconds": round(fit_seconds, 1), "setup_seconds": round(setup_seconds, 1),
        "tokens_per_second": round(module.tokens_seen / max(fit_seconds, 1e-9), 1),
        "final_heldout": final, "parameters": sum(p.numel() for p in model.parameters()),
        "continued_from": source, "trained_tokenizer": trained_tokenizer, "vocab_size": len(tokenizer),
        "corpus": corpus.stats, "data": data.stats, "seed": cfg.seed,
        "settings": OmegaConf.to_container(cfg, resolve=True),
    }
    folder = save_model_folder(model, tokenizer, out / "model", {k: v for k, v in results.items() if k != "settings"})
    if export is not None and not cfg.trainer.get("fast_dev_run"):
        copy_folder(folder, export)
        results["exported_to"] = str(export)
    results["total_seconds"] = round(time.perf_counter() - started, 1)
    (out / RESULTS).write_text(json.dumps(results, indent=1, default=str))
    for logger in loggers:
        logger.save()
    if final:
        print(f"\nheld-out masked-token accuracy {100 * final['mlm_accuracy']:.2f}% (MLM loss {final['mlm_loss']:.3f}) "
              f"at step {final['step']}; {results['tokens_per_second']:.0f} tokens/s")
    print(f"model saved to {folder}" + (f" and {export}" if results.get("exported_to") else ""))
    print(f"curve: {out / CURVE_PNG}; results: {out / RESULTS}")
    return results


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="pretrain")
def main(cfg: DictConfig) -> None:
    from sentemb.checkpointing import TrainingInterrupted

    quiet_library_bars()  # no TTY: a log line every few percent instead of redrawn bars
    with report_user_errors("sentemb.pretrain", in_sweep=in_multirun):
        try:
            pretrain(cfg)
        except TrainingInterrupted as stop:
            print(stop, file=sys.stderr)
            sys.exit(143)


if __name__ == "__main__":
    main()
