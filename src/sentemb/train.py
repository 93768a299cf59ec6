"""`train(cfg)`: build data, module and trainer from a composed config; fit; evaluate; save. Returns what the
run measured and the objects it built, as lightning-hydra-template's `train` does.

Kept free of `@hydra.main` so tests call it with a config from `hydra.compose`. The pieces live in
`sentemb.training` (builders, dev callback, before -> after, W&B report); this module and the entry points
(`sentemb.run`, `sentemb.evaluate`) are the only code that reads the whole config.
"""

from __future__ import annotations

import time
import warnings
from pathlib import Path
from typing import Any

import lightning as L
import torch
from omegaconf import DictConfig

import sentemb.conf_resolvers  # noqa: F401  (registers ${sentemb.*:} resolvers)
from sentemb.distributed import end_processes, launch_rank, prepare_processes
from sentemb.encoder.postprocess.fitting import fit_postprocess
from sentemb.evaluation.encode_cache import CachedEncode
from sentemb.evaluation.plan import EvalPlan, eval_device
from sentemb.evaluation.suite import flat_metrics, run_evaluators, sts_table, write_results
from sentemb.run_info import resolved_config, save_run_info
from sentemb.training.before_after import StartScores, record_before_after
from sentemb.training.build import build_loggers, build_module, fit
from sentemb.training.dev_callback import find_dev_callback
from sentemb.training.wandb_report import report_to_wandb, wandb_loggers

__all__ = ["eval_plan", "evaluate_and_save", "train"]

# Our DataModule saves its position in checkpoints (sentemb.data.resumable), which this warning cannot see.
warnings.filterwarnings("ignore", message="You're resuming from a checkpoint that ended before the epoch ended")


def eval_plan(cfg: DictConfig) -> EvalPlan:
    """The run's eval suite (`eval`) and dev set (`dev`), scored on the device the run trains on."""
    return EvalPlan(cfg.get("eval"), cfg.get("dev"), cfg.eval_batch_size,
                    eval_device((cfg.get("trainer") or {}).get("accelerator")))


def evaluate_and_save(cfg: DictConfig, encoder, plan: EvalPlan, loggers: list, extra: dict[str, Any]) -> dict[str, Any]:
    """Score `encoder` on `plan` (eval suite -> test/*, dev set -> val/*), write results.json, log the metrics
    (and the resolved config to W&B), print the STS table, save the model; return the results.json payload."""
    output_dir = Path(cfg.output_dir)
    encoder.to(plan.device)
    evaluators, dev_scorer = plan.evaluators(), plan.dev()
    cache = CachedEncode(encoder, plan.batch_size)
    results = run_evaluators(encoder, evaluators, plan.batch_size, cache=cache, prefetch=[dev_scorer])
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
    if wandb_loggers(loggers):
        report_to_wandb(loggers, resolved_config(cfg), payload, output_dir)
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


def train(cfg: DictConfig) -> tuple[dict[str, float], dict[str, Any]]:
    """Fit (unless the method does not train), evaluate and save; return `(metric_dict, object_dict)`.

    metric_dict: {name: float}, the metrics Lightning collected in training (train/loss, ..., val/* of the
        last dev evaluation) updated with those of the final evaluation (results.json `metrics`: test/*, val/*
        of the encoder evaluated). The final evaluation runs on rank 0 only, and in a fast_dev_run only with
        `eval_after_fast_dev_run=true`.
    object_dict: "cfg", "module", "loggers", "plan" (the EvalPlan); with training also "trainer" and
        "dev_callback" (None with callbacks=none); on the evaluating process "encoder" (the one evaluated: the
        best dev checkpoint when there is one); after the final evaluation "results" (the results.json payload).
    """
    output_dir = Path(cfg.output_dir)
    L.seed_everything(cfg.seed, workers=True)
    if cfg.get("float32_matmul_precision"):
        torch.set_float32_matmul_precision(cfg.float32_matmul_precision)
    prepare_processes(cfg.trainer)
    if launch_rank() == 0:  # one writer: the other DDP processes run the same command in the same folder
        save_run_info(cfg, output_dir)
    module, loggers, plan = build_module(cfg), build_loggers(cfg), eval_plan(cfg)
    objects: dict[str, Any] = {"cfg": cfg, "module": module, "loggers": loggers, "plan": plan}
    metrics: dict[str, float] = {}
    extra: dict[str, Any] = {"seed": cfg.seed}
    encoder, start_scores = module.encoder, None
    if cfg.model.get("trains", True):
        settings = cfg.get("start_scores") or {}  # scores of the starting encoder, for before -> after
        start_scores = StartScores(plan, enabled=settings.get("enabled", True), suite=settings.get("suite", "auto"),
                                   cpu_suite_max_parameters=settings.get("cpu_suite_max_parameters"))
        start = time.perf_counter()
        encoder, trainer = fit(cfg, module, loggers, start_scores)
        end_processes()  # DDP: rank 0 alone evaluates and writes from here on
        dev = find_dev_callback(trainer.callbacks)
        objects.update(trainer=trainer, dev_callback=dev)
        metrics.update({k: float(v) for k, v in trainer.callback_metrics.items() if v.numel() == 1})
        extra["train_seconds"] = round(time.perf_counter() - start, 1)
        extra["global_step"] = trainer.global_step
        extra["activity"] = module.activity_monitor.summary()  # each inert-able term's activity over the run
        if dev is not None and dev.summary() is not None:
            extra["dev_best"] = dev.summary()
        if not trainer.is_global_zero:
            return metrics, objects
    objects["encoder"] = encoder
    fast_dev_run = bool(cfg.trainer.get("fast_dev_run"))
    # postprocess=whitening|flow, fitted on the final encoder
    extra.update(fit_postprocess(encoder, cfg.get("postprocess"), cfg.data_dir, evaluators=plan.evaluators,
                                 seed=cfg.seed, fast_dev_run=fast_dev_run))
    if fast_dev_run and not cfg.get("eval_after_fast_dev_run", False):
        return metrics, objects
    payload = evaluate_and_save(cfg, encoder, plan, loggers, extra)
    if start_scores is not None and start_scores.result is not None:
        record_before_after(start_scores.result, payload, output_dir / "results.json")
    metrics.update(payload["metrics"])
    objects["results"] = payload
    return metrics, objects
