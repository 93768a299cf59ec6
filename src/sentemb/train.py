"""`train(cfg)`: build data, module and trainer from a composed config; fit; evaluate; save.

Kept free of `@hydra.main` so tests call it with a config from `hydra.compose`.
"""

from __future__ import annotations

import logging
import time
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import torch
from hydra.utils import get_class, instantiate
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig, OmegaConf

import sentemb.conf_resolvers  # noqa: F401  (registers ${sentemb.*:} resolvers)
from sentemb.checkpointing import AtomicCheckpointIO, GracefulInterrupt, TrainingInterrupted, check_checkpoint
from sentemb.distributed import end_processes, launch_rank, prepare_processes
from sentemb.encoder.postprocess.fitting import fit_postprocess
from sentemb.errors import MissingFileError
from sentemb.evaluation.before_after import StartScores, eval_device, record_before_after
from sentemb.evaluation.dev_callback import STSBDevScorer
from sentemb.evaluation.encode_cache import CachedEncode
from sentemb.evaluation.suite import flat_metrics, run_evaluators, sts_table, write_results
from sentemb.evaluation.wandb_report import report_to_wandb
from sentemb.run_info import save_run_info
from sentemb.samplers.compat import check_compatible, check_data

log = logging.getLogger(__name__)

# Our DataModule saves its position in checkpoints (sentemb.data.resumable), which this warning cannot see.
warnings.filterwarnings("ignore", message="You're resuming from a checkpoint that ended before the epoch ended")

NON_MODULE_KEYS = ("name", "trains", "batch_builder")


def build_module(cfg: DictConfig):
    """The LightningModule of `cfg.model`, joined with backbone, loss and sampler (checked to fit together
    before the backbone loads)."""
    loss, sampler = instantiate(cfg.loss), instantiate(cfg.sampler)
    if cfg.model.get("trains", True):
        check_compatible(loss, sampler, batch_size=(cfg.get("data") or {}).get("batch_size"))
        check_data(loss, sampler, get_class(cfg.data._target_) if cfg.get("data") else None)
    backbone = instantiate(cfg.backbone)
    model_cfg = OmegaConf.to_container(cfg.model, resolve=True)
    for key in NON_MODULE_KEYS:
        model_cfg.pop(key, None)
    return instantiate(model_cfg, backbone=backbone, loss=loss, sampler=sampler)


def build_loggers(cfg: DictConfig) -> list:
    return [instantiate(lg) for lg in (cfg.get("logger") or {}).values() if lg is not None and "_target_" in lg]


def build_trainer(cfg: DictConfig, loggers: list) -> L.Trainer:
    callbacks = [instantiate(cb) for cb in (cfg.get("callbacks") or {}).values()
                 if cb is not None and "_target_" in cb]  # callbacks=none + an experiment's leftover settings
    # Lightning adds its own ModelCheckpoint (a full checkpoint with optimizer state per run, ~260 MB for
    # MiniLM) unless told not to: `callbacks=none` means no checkpoints.
    checkpointing = any(isinstance(cb, ModelCheckpoint) for cb in callbacks)
    callbacks.append(GracefulInterrupt(str(Path(cfg.output_dir) / "checkpoints" / "last.ckpt")))
    extra = {} if "enable_checkpointing" in cfg.trainer else {"enable_checkpointing": checkpointing}
    return instantiate(cfg.trainer, callbacks=callbacks, logger=loggers or False,
                       default_root_dir=cfg.output_dir, plugins=[AtomicCheckpointIO()], **extra)


def resolve_resume(resume: str | None, module=None) -> str | None:
    """`resume=` takes a checkpoint file or a run folder (its checkpoints/last.ckpt); a missing, damaged or
    foreign checkpoint (not `module`'s weights) is refused here, before training."""
    if not resume:
        return None
    path = Path(resume).expanduser()
    if path.is_dir():
        path = path / "checkpoints" / "last.ckpt"
    if not path.is_file():
        raise MissingFileError(f"resume={resume}: no checkpoint at '{path}' (give a .ckpt file or a run folder "
                               "with checkpoints/last.ckpt)")
    check_checkpoint(path, expected_keys=None if module is None else set(module.state_dict()))
    return str(path)


def fit(cfg: DictConfig, module, loggers: list, *callbacks: L.Callback):
    """Train `module` (with `callbacks` besides those of cfg.callbacks); return the encoder to evaluate (the best
    STS-B dev checkpoint when there is one)."""
    datamodule = instantiate(cfg.data, tokenizer=module.encoder.tokenizer,
                             batch_builder=instantiate(cfg.model.batch_builder))
    trainer = build_trainer(cfg, loggers)
    trainer.callbacks.extend(callbacks)
    try:
        trainer.fit(module, datamodule=datamodule, ckpt_path=resolve_resume(cfg.get("resume"), module))
    except SIGTERMException as err:
        raise TrainingInterrupted(
            f"training stopped by a signal at step {trainer.global_step}; continue with: "
            f"python -m sentemb.run <same overrides> resume={cfg.output_dir}"
        ) from err
    best = Path(cfg.output_dir) / "best_encoder"
    if best.is_dir() and trainer.is_global_zero and not cfg.trainer.get("fast_dev_run"):
        from sentemb.encoder.sentence_encoder import SentenceEncoder

        log.info("loading the best STS-B dev encoder from %s", best)
        return SentenceEncoder.load(best, max_length=module.encoder.max_length), trainer
    return module.encoder, trainer


def evaluate_and_save(cfg: DictConfig, encoder, loggers: list, extra: dict[str, Any]) -> dict[str, Any]:
    """Run `cfg.eval`, write results.json, print the STS table, save the model."""
    output_dir = Path(cfg.output_dir)
    encoder.to(eval_device(cfg))
    evaluators = {name: instantiate(spec) for name, spec in (cfg.get("eval") or {}).items() if spec is not None}
    cache, dev_scorer = CachedEncode(encoder, cfg.eval_batch_size), STSBDevScorer(cfg.data_dir)
    results = run_evaluators(encoder, evaluators, cfg.eval_batch_size, cache=cache, prefetch=[dev_scorer])
    metrics = flat_metrics(results)
    dev = dev_scorer(cache)
    metrics.update({f"val/{k}": v for k, v in dev.items()})
    payload = {
        "config_name": cfg.get("run_name"),
        "method": cfg.model.get("name"),
        "backbone": encoder.backbone_name,
        "aggregation": {n: e.aggregation for n, e in evaluators.items() if e.aggregation is not None},
        "results": results,
        "metrics": metrics,
        "eval_seconds": dict(cache.timings),
        **extra,
    }
    write_results(output_dir / "results.json", payload)
    for logger in loggers:
        logger.log_metrics(metrics)
        logger.save()
    report_to_wandb(loggers, cfg, payload, output_dir)
    if "sts" in results:
        print(f"\nSTS (Spearman x100, aggregation={evaluators['sts'].aggregation}):\n{sts_table(results['sts'])}")
    if "align_uniform" in results:
        au = results["align_uniform"]
        print(f"alignment {au['align']:.4f}  uniformity {au['uniform']:.4f} (STS-B dev)")
    if cfg.get("save_model", True):
        encoder.save(output_dir / "model")
        print(f"model saved to {output_dir / 'model'} (Hugging Face + sentence-transformers layout)")
    print(f"results: {output_dir / 'results.json'}")
    return payload


def train(cfg: DictConfig) -> float | None:
    """Fit (unless the method does not train), evaluate and save; return `cfg.optimized_metric`'s value."""
    output_dir = Path(cfg.output_dir)
    L.seed_everything(cfg.seed, workers=True)
    if cfg.get("float32_matmul_precision"):
        torch.set_float32_matmul_precision(cfg.float32_matmul_precision)
    prepare_processes(cfg.trainer)
    if launch_rank() == 0:  # one writer: the other DDP processes run the same command in the same folder
        save_run_info(cfg, output_dir)
    module = build_module(cfg)
    loggers = build_loggers(cfg)
    extra: dict[str, Any] = {"seed": cfg.seed}
    encoder, start_scores = module.encoder, StartScores(cfg)  # scores of the starting encoder, for before -> after
    if cfg.model.get("trains", True):
        start = time.perf_counter()
        encoder, trainer = fit(cfg, module, loggers, start_scores)
        end_processes()  # DDP: rank 0 alone evaluates and writes from here on
        extra["train_seconds"] = round(time.perf_counter() - start, 1)
        extra["global_step"] = trainer.global_step
        extra["activity"] = module.activity_monitor.summary()  # each inert-able term's activity over the run
        dev = next((cb for cb in trainer.callbacks if hasattr(cb, "best_step")), None)
        if dev is not None:
            extra["dev_best"] = {"stsb_spearman": dev.best, "step": dev.best_step}
        if not trainer.is_global_zero:
            return None
    extra.update(fit_postprocess(cfg, encoder))  # postprocess=whitening|flow, fitted on the final encoder
    if cfg.trainer.get("fast_dev_run") and not cfg.get("eval_after_fast_dev_run", False):
        return None
    payload = evaluate_and_save(cfg, encoder, loggers, extra)
    if start_scores.result is not None:
        record_before_after(start_scores.result, payload, output_dir / "results.json")
    metric = cfg.get("optimized_metric")
    return payload["metrics"].get(metric) if metric else None
