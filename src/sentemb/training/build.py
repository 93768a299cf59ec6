"""The objects of a training run, built from the composed config: module, loggers, trainer; and `fit`.

These functions are the entry points' half that turns the whole config into objects (as the `train(cfg)` of
lightning-hydra-template does); everything they hand the objects gets only what it needs.
"""

from __future__ import annotations

import logging
from pathlib import Path

import lightning as L
from hydra.utils import get_class, instantiate
from lightning.pytorch.callbacks import ModelCheckpoint
from lightning.pytorch.utilities.exceptions import SIGTERMException
from omegaconf import DictConfig, OmegaConf

from sentemb.checkpointing import AtomicCheckpointIO, GracefulInterrupt, TrainingInterrupted, check_checkpoint
from sentemb.errors import MissingFileError
from sentemb.samplers.compat import check_compatible, check_data
from sentemb.training.dev_callback import find_dev_callback

log = logging.getLogger(__name__)

__all__ = ["build_loggers", "build_module", "build_trainer", "fit", "resolve_resume"]

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
    """The Lightning loggers of `cfg.logger` (none for logger=none)."""
    return [instantiate(lg) for lg in (cfg.get("logger") or {}).values() if lg is not None and "_target_" in lg]


def build_trainer(cfg: DictConfig, loggers: list) -> L.Trainer:
    """The Trainer of `cfg.trainer` with the callbacks of `cfg.callbacks` (and a GracefulInterrupt)."""
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
    """Train `module` (with `callbacks` besides those of cfg.callbacks); return (the encoder to evaluate, the
    trainer). The encoder is the best one the dev callback saved (`DevCallback.saved_best()`) when there is one
    (on rank 0, not in a fast_dev_run), else the module's encoder as training left it."""
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
    dev = find_dev_callback(trainer.callbacks)
    best = dev.saved_best() if dev is not None else None
    if best is not None and trainer.is_global_zero and not cfg.trainer.get("fast_dev_run"):
        from sentemb.encoder.sentence_encoder import SentenceEncoder

        log.info("loading the best %s encoder from %s", dev.scorer.title, best)
        return SentenceEncoder.load(best, max_length=module.encoder.max_length), trainer
    return module.encoder, trainer
