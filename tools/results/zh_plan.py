"""The Chinese section of experiments/RESULTS.md (issue 24): every method from all-MiniLM-L6-v2 on Chinese data.

all-MiniLM-L6-v2 is an English model that is nearly untrained on Chinese, so here the methods move the scores
far from their start, which they do not do on English. Its own command (the default table already takes about
2 h 20 min; the issue wants a table of more than 3 hours split):
    make results-zh        # = python tools/results/make_results.py --sections zh
Rows (all backbone=minilm_l6, one Hydra multirun per row, seeds 1,2,3 swept):
    start points  model=avg with cls_before_pooler and mean pooling (no training, deterministic: one run);
                  whitening (deterministic: one run) and flow (seeded: 3 runs) on mean pooling, fitted on every
                  sentence scored (postprocess.corpus=target: the subsampled test sets + the Chinese STS-B dev)
    supervised    CoSENT on data=stsb_zh_train and data=atec_train; SBERT cosine regression on stsb_zh_train;
                  SBERT softmax on ocnli_pairs; supervised SimCSE on ocnli_triplets and simclue_triplets.
                  SupCon is left out: no Chinese set here labels single sentences with classes (ZH_NO_SUPCON)
    unsupervised  the English sections' methods (results_plan.UNSUPERVISED: SimCSE, ArcCSE and its three
                  ablations, VaSCL, sampler=hard|debiased|false_negative, the MLM auxiliary) on data=zh_sentences;
                  the augmentations with augment.cjk=chars, synonym left out (English WordNet: every Chinese
                  sentence would be left unchanged, i.e. plain SimCSE)
Every row is scored with eval=[sts_zh,align_uniform_zh]: Spearman x100 on the first `max_pairs` pairs of each of
the five test sets (STS-B, ATEC, BQ, LCQMC, PAWSX) and alignment/uniformity on the Chinese STS-B dev (its 52
pairs scored 5 as positives); the English STS-B dev is scored too (every run does), not shown.

Budget arithmetic (2 idle cores). The CPU was loaded for the whole session this was written in (another results
job held ~1.8 of the 2 cores), so the idle speeds are the English ones of results_plan.py scaled by token counts
(all-MiniLM-L6-v2's tokenizer; cost ~ tokens at these lengths), and the load-measured figures only check them:
    training  0.023 s per encoded sequence at wiki lengths (<= 32 tokens, mean 21.9) x 17.7 / 21.9 (zh_sentences,
              mean 17.7 tokens, max 64) = 0.019 s
    encoding  396 sentences/s on the English STS suite (mean 14.3 tokens) x 14.3 / 20.7 (the Chinese test + dev
              sentences, mean 20.7 tokens) = 270 sentences/s; the English STS-B dev at 350/s
    MEASURED UNDER LOAD (2026-12-02, nice -n 15, one run of simcse_unsup, 2 steps of 64, max_pairs 1,000): data
              setup + 2 steps 44.8 s; 15,050 sentences encoded in 260 s (58/s: the idle estimate, 53 s, x ~5 for
              the load). A 12-step run got < 10% of a core and was stopped after 16 min; an alternating zh/en
              benchmark did not finish a round at ~5% of a core.
    MEASURED IDLE (2026-12-02 17:27-18:23, commit b919473): the whole section took 56 min (60% of the estimate);
              a 12-step SimCSE run 40 s (20 s training, 20 s encoding); 60 steps 2 min (experiments/zh_budget/).
    evaluation  the whole five test sets are 75,616 unique sentences (280 s a run, 5.4 h over 69 runs), so each
              run scores the first 500 pairs of each (eval.sts_zh.max_pairs=500; positive share vs. the whole
              file: ATEC 14.2% / 18.0%, BQ 49.2 / 50.0, LCQMC 50.2 / 50.0, PAWSX 43.0 / 44.7; STS-B mean gold
              2.04 / 2.31): 4,803 sentences, + the Chinese STS-B dev 2,798 (alignment/uniformity) = 7,601 at
              270/s = 28.2 s, + the English STS-B dev (every run scores it) 2,900 at 350/s = 8.3 s: 36.4 s a run
    a run     6 s (weights, data, trainer) + 36.4 s + 12 steps x 64 x views x 0.019 s: 14.6 s with 2 views
              (SimCSE, samplers, augmentations, VaSCL, ArcCSE without triplet, pairs), 21.9 s with 3 (triplets),
              29.2 s with 4 (MLM), 36.5 s with 5 (ArcCSE); + 8 s a job (imports)
    start points  3 jobs, 6 runs (2 poolings, whitening, 3 x flow: + 28 s fitting encode, flow + 30 s)  ~8 min
    supervised    6 jobs x 3 seeds = 18 runs                                                           ~24 min
    unsupervised  11 jobs (the 5 augmentations one sweep) x 3 seeds = 45 runs                          ~61 min
    total         20 jobs, 69 runs  (`python tools/results/make_results.py --sections zh --dry-run`)
                                                                                        ~1 h 33 min estimated
12 steps of 64 (768 examples a run) are 2.3% of an epoch of zh_sentences (33,323 sentences), 15% of stsb_zh_train
(5,231 pairs), 3.2% of atec_train (24,061), 7.7% of ocnli_pairs (9,985) and simclue_triplets (10,000), 37% of
ocnli_triplets (2,071). One epoch of zh_sentences is 521 steps (~21 min a SimCSE run, 1 h for its 3 seeds), out
of a 90-minute section: the table's start-point rows show whether 12 steps have clearly left the start (after 2
steps, SimCSE already scored STS-B 45.1, ATEC 14.3, BQ 27.3, LCQMC 29.6, PAWSX 7.3 on 1,000 pairs each; the start
was not measured at that subsample). `--steps-zh` and `--zh-max-pairs` (0 = the whole sets) change the plan.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass

from results_plan import AUGMENTS, JOB_S, PROCESS_S, SENTENCES_PER_SECOND, UNSUPERVISED, Job, _common

ZH = "zh"
BACKBONE = "minilm_l6"
ZH_AUGMENTS = tuple(a for a in AUGMENTS if a != "synonym")  # synonym: English WordNet, no-op on Chinese text
ZH_NO_SUPCON = ("SupCon is left out: none of the Chinese sets here labels single sentences with classes (the "
                "pair sets label pairs: paraphrase or not, an NLI relation; OCNLI's `genre` names the source "
                "domain of a premise, and SupCon on it would pull together sentences of one domain, not of one "
                "meaning).")
# name -> (overrides, views per example, runs per seed): the English unsupervised methods, the augmentations
# without synonym and with augment.cjk=chars (each Chinese character a word for the word-level operations)
ZH_UNSUPERVISED: dict[str, tuple[list[str], float, int]] = {
    name: ((["model=simcse_unsup", "augment=" + ",".join(ZH_AUGMENTS), "augment.cjk=chars",
             "run_name=simcse_${augment.name}"], 2, len(ZH_AUGMENTS)) if name == "simcse_augment" else spec)
    for name, spec in UNSUPERVISED.items()}
# name -> (overrides, views per example); each on its own Chinese training data
ZH_SUPERVISED: dict[str, tuple[list[str], float]] = {
    "cosent_stsb_zh": (["model=cosent", "data=stsb_zh_train"], 2),
    "cosent_atec": (["model=cosent", "data=atec_train"], 2),
    "sbert_regression_stsb_zh": (["model=sbert", "loss=cosine_regression", "data=stsb_zh_train"], 2),
    "sbert_softmax_ocnli": (["model=sbert", "loss=sbert_softmax", "data=ocnli_pairs"], 2),
    "simcse_sup_ocnli": (["model=simcse_sup", "data=ocnli_triplets"], 3),
    "simcse_sup_simclue": (["model=simcse_sup", "data=simclue_triplets"], 3),
}
SMOKE_ROWS = {"zh_sentences": ["data.max_lines=300"], "pairs": ["data.max_rows=100"]}

# --- costs on 2 idle cores (the module docstring) -------------------------------------------------------------
SECONDS_PER_SEQUENCE_ZH = {"minilm_l6": 0.019, "tiny_random": 0.001}  # a training sequence of zh_sentences
SENTENCES_PER_SECOND_ZH = {"minilm_l6": 270.0, "tiny_random": 20000.0}  # encoding the Chinese test / dev sentences
ZH_TEST_UNIQUE = {1000: 9352, 500: 4803}  # unique sentences of the five test sets at max_pairs (None: all of them)
ZH_TEST_ALL, ZH_DEV, EN_DEV = 75_616, 2_798, 2_900  # + the Chinese STS-B dev; the English one (always scored)
FLOW_FIT_S = 30.0  # results_plan: 500 Adam steps; here one epoch of ~7,600 sentences / 64 = 119 steps


@dataclass
class ZhBudget:
    """The knobs of the Chinese section."""

    steps: int = 12
    batch_size: int = 64
    seeds: tuple[int, ...] = (1, 2, 3)
    max_pairs: int | None = 500  # per test set; None = the whole test sets
    smoke: bool = False


def zh_smoke_budget() -> ZhBudget:
    """tiny_random, 2 steps of 16, one seed, 20 pairs per test set: the section end to end in seconds."""
    return ZhBudget(steps=2, batch_size=16, seeds=(1,), max_pairs=20, smoke=True)


def add_zh_arguments(ap: argparse.ArgumentParser) -> None:
    ap.add_argument("--steps-zh", type=int, help="training steps of each row of the Chinese section")
    ap.add_argument("--zh-max-pairs", type=int, help="pairs scored per Chinese test set (0 = all)")


def zh_budget_from(args: argparse.Namespace) -> ZhBudget:
    budget = zh_smoke_budget() if args.smoke else ZhBudget()
    if args.steps_zh is not None:
        budget.steps = args.steps_zh
    if args.zh_max_pairs is not None:
        budget.max_pairs = args.zh_max_pairs or None
    if args.seeds and not args.smoke:
        budget.seeds = tuple(int(s) for s in args.seeds.split(","))
    return budget


def zh_eval(budget: ZhBudget) -> list[str]:
    """eval=[sts_zh,align_uniform_zh] on the first max_pairs pairs of each test set."""
    out = ["eval=[sts_zh,align_uniform_zh]", f"eval.sts_zh.max_pairs={budget.max_pairs or 'null'}"]
    return out + (["model.eval_max_length=32"] if budget.smoke else [])


def _zh_sentences(budget: ZhBudget) -> int:
    """Unique Chinese sentences a run encodes: the test pairs kept (about 2 per pair) + the Chinese STS-B dev."""
    test = ZH_TEST_ALL if budget.max_pairs is None else ZH_TEST_UNIQUE.get(budget.max_pairs, 10 * budget.max_pairs)
    return test + ZH_DEV


def _eval_s(budget: ZhBudget, backbone: str) -> float:
    return _zh_sentences(budget) / SENTENCES_PER_SECOND_ZH[backbone] + EN_DEV / SENTENCES_PER_SECOND[backbone]


def _train_s(budget: ZhBudget, views: float, backbone: str) -> float:
    return budget.steps * budget.batch_size * views * SECONDS_PER_SEQUENCE_ZH[backbone]


def _seeds(budget: ZhBudget) -> str:
    return "seed=" + ",".join(str(s) for s in budget.seeds)


def start_points(budget: ZhBudget, bb: str) -> list[Job]:
    """The untrained poolings (one run: nothing is random), whitening (one run) and flow (seeded)."""
    ev, per_run = zh_eval(budget), JOB_S + _eval_s(budget, bb)
    fit_s = _zh_sentences(budget) / SENTENCES_PER_SECOND_ZH[bb]  # corpus=target: every Chinese sentence scored
    flow_seeds = "seed=1" if budget.smoke else _seeds(budget)
    flow_runs = len(flow_seeds.split(","))
    small = ["postprocess.max_sentences=300", "postprocess.transform.steps=3"] if budget.smoke else []
    base = ["model=avg", f"backbone={bb}", *ev]
    return [
        Job(ZH, "start_points", [*base, "seed=1", "model.pooling=cls_before_pooler,mean",
                                      "run_name=avg_${model.pooling}"], PROCESS_S + 2 * per_run, 2),
        Job(ZH, "whitening", [*base, "seed=1", "model.pooling=mean", "postprocess=whitening",
                                   "postprocess.corpus=target", *small[:1], "run_name=avg_mean_whitening"],
            PROCESS_S + per_run + fit_s),
        Job(ZH, "flow", [*base, flow_seeds, "model.pooling=mean", "postprocess=flow", "postprocess.corpus=target",
                              *small, "run_name=avg_mean_flow"],
            PROCESS_S + flow_runs * (per_run + fit_s + (0 if budget.smoke else FLOW_FIT_S)), flow_runs),
    ]


def zh_jobs(budget: ZhBudget) -> list[Job]:
    """The Chinese section's jobs, in the order they run: start points, supervised, unsupervised."""
    bb = "tiny_random" if budget.smoke else BACKBONE
    ev, seeds, common = zh_eval(budget), _seeds(budget), _common(budget, budget.steps)
    jobs = start_points(budget, bb)
    rows = [(name, overrides, views, 1, "pairs") for name, (overrides, views) in ZH_SUPERVISED.items()]
    rows += [(name, [*overrides, "data=zh_sentences"], views, variants, "zh_sentences")
             for name, (overrides, views, variants) in ZH_UNSUPERVISED.items()]
    for name, overrides, views, variants, kind in rows:
        per_run = JOB_S + _train_s(budget, views, bb) + _eval_s(budget, bb)
        named = [] if variants > 1 else [f"run_name={name}"]  # a sweep names its runs in its overrides
        small = SMOKE_ROWS[kind] if budget.smoke else []
        jobs.append(Job(ZH, name, [*overrides, f"backbone={bb}", *small, *common, *ev, seeds, *named],
                        PROCESS_S + variants * len(budget.seeds) * per_run, variants * len(budget.seeds)))
    return jobs
