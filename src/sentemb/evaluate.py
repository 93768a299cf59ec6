"""`python -m sentemb.evaluate model_path=PATH_OR_NAME eval=sts [postprocess=whitening]`: score a saved run or
any HF model, optionally after fitting a post-processing transform on it."""

from __future__ import annotations

from pathlib import Path

import hydra
from omegaconf import DictConfig

import sentemb.conf_resolvers  # noqa: F401
from sentemb.errors import in_multirun, report_user_errors
from sentemb.paths import conf_dir
from sentemb.progress import quiet_library_bars


def evaluate(cfg: DictConfig) -> dict:
    """Load `cfg.model_path` (a sentemb or sentence-transformers folder, or any HF model), score it on `cfg.eval`
    and `cfg.dev`; return the results.json payload."""
    from sentemb.encoder.postprocess.fitting import fit_postprocess
    from sentemb.encoder.sentence_encoder import SentenceEncoder
    from sentemb.run_info import save_run_info
    from sentemb.train import eval_plan, evaluate_and_save
    from sentemb.training.build import build_loggers

    save_run_info(cfg, Path(cfg.output_dir))
    encoder = SentenceEncoder.load(cfg.model_path, pooling=cfg.model.get("pooling"),
                                   max_length=cfg.model.get("eval_max_length"),
                                   trust_remote_code=cfg.get("trust_remote_code", False))
    plan = eval_plan(cfg)
    # postprocess=whitening|flow (none keeps a saved one)
    extra = fit_postprocess(encoder, cfg.get("postprocess"), cfg.data_dir, evaluators=plan.evaluators,
                            seed=cfg.get("seed", 0))
    return evaluate_and_save(cfg, encoder, plan, build_loggers(cfg),
                             {"model_path": str(cfg.model_path), "pooling": encoder.pooling, **extra})


@hydra.main(version_base="1.3", config_path=str(conf_dir()), config_name="evaluate")
def main(cfg: DictConfig) -> None:
    quiet_library_bars()  # no TTY: a log line every few percent instead of redrawn bars
    with report_user_errors("sentemb.evaluate", in_sweep=in_multirun):
        evaluate(cfg)


if __name__ == "__main__":
    main()
