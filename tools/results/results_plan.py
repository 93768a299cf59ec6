"""What experiments/RESULTS.md is made of: the sections, their Hydra multiruns and a time estimate for each.

Every job is one `python -m sentemb.run -m ...` multirun (one method, its seeds swept), so a method that fails
stops only its own job, and each row can be re-run by hand from the command the driver prints. Folders:
<runs>/<section>/<job>/<run_name>_seed<seed>/results.json.

Budget arithmetic (the CPU of this workspace: 2 cores, idle; medians over the run.log timestamps of the
~290 runs of the 2026-11-23 table, so "measured"):
    training  minilm_l6 at wiki lengths (batch 32, dynamic padding to <= 32 tokens): 0.023 s per encoded
              sequence (forward + backward); mini_offline (4 x 256): 0.007 s; a step = batch x views x that
              views per example: SimCSE/augment/samplers/VaSCL 2, MLM 4 (2 + masked copies of both),
              ArcCSE 5 (2 + s, s', s''), ArcCSE without triplet 2, NLI triplets 3, pairs 2 (max_len 64: x1.5)
    encoding  minilm_l6 350 sentences/s (396/s on the STS suite), mini_offline 1,100 sentences/s
              unique sentences per evaluation: STS suite + dev 26.8k; STS-B test + SICK-R test + dev 10.4k;
              clustering, 1,000 texts per set 3.0k (+ dev 2.9k); intent nearest-centroid (3 sets, 20 texts
              per intent + tests) 13.0k; STS-B dev alone 2.9k (always scored)
    fixed     ~8 s per process (imports), ~6 s per run (weights, data, trainer)
    post-hoc  whitening / flow fitted on 10,000 sentences of the target corpus (one more encoding of them);
              flow's 500 Adam steps ~30 s (its job took 32 s longer than whitening's)

Evaluation, not training, is what the ~170 runs mostly pay for (a wiki run: 7 s of training, 68 s encoding the
STS suite). The trained rows are scored on the whole STS suite (`sts_trained`); `--sts-trained sts_core`
scores them on STS-B test + SICK-R test only (10.4k sentences instead of 26.8k: about 55 min less). The
zero-shot rows get the whole suite, clustering (1,000 texts per set, 5 K-means seeds) and intent (nearest
centroid from 20 texts per intent).

Default budget, `python tools/results/make_results.py --dry-run`, estimated, and measured here
(2026-11-23, idle machine; experiments/RESULTS.md's header has the measured figures):  estimated  measured
    zero_shot     8 runs: 6 poolings, whitening, flow; STS suite + clustering + intent      ~19 min     18 min
    unsup_wiki    16 methods (the augmentations one sweep) x 3 seeds from minilm_l6 on
                  wiki_sample, 4 steps of batch 32, STS suite; + 2 start points            ~1 h 16 min  58 min
    unsup_stc     the same 16 x 3 seeds on the clustering texts (data=stc_texts, 1,000 per
                  set, the texts that are clustered), scored on clustering; + start point   ~26 min     24 min
    offline_base  16 unsup + 4 sup methods x 3 seeds from mini_offline, 20 steps of 32,
                  STS suite; + 3 untrained poolings (skipped without the base)              ~45 min     36 min
    supervised    simcse_sup (NLI), supcon on each intent set, cosent and SBERT regression
                  on STS-B train, from minilm_l6, 10 steps of 32, one seed, matching test    ~6 min      5 min
    total         49 jobs, 176 runs                                                          ~2 h 53 min  2 h 20 min
With `--sts-trained sts_core` the estimate is 1 h 58 min (measured 1 h 48 min, the first table of 2026-11-23).
`--steps-minilm`, `--steps-base`, `--steps-supervised`, `--seeds`, `--batch-size`
and `--sections` (to spread the table over several sessions) change the plan; `--dry-run` prints its estimate.
The step budgets are tiny (4 steps of 32 from minilm, 20 from the base): the table shows where the methods
start to move under equal budgets, not what they reach; the paper recipes are for that.
"""

from __future__ import annotations

from dataclasses import dataclass

# --- the methods --------------------------------------------------------------------------------------------
# name -> (overrides, views per example, runs per seed); every unsupervised method trains on the section's data.
# The augmentations are one Hydra sweep (run_name from the option); synonym last: it needs WordNet, and a failing
# job of a sweep stops the jobs after it.
AUGMENTS = ("crop", "word_deletion", "delete_one_word", "repetition", "shuffle", "synonym")
UNSUPERVISED: dict[str, tuple[list[str], float, int]] = {
    "simcse": (["model=simcse_unsup"], 2, 1),
    "arccse": (["model=arccse"], 5, 1),
    "arccse_no_margin": (["model=arccse", "loss=infonce"], 5, 1),
    "arccse_no_triplet": (["model=arccse", "model.auxiliary.triplet.weight=0"], 2, 1),
    "simcse_arccon_margin_only": (["model=simcse_unsup", "loss=arccon"], 2, 1),
    "vascl": (["model=vascl"], 2, 1),
    "simcse_hard": (["model=simcse_unsup", "sampler=hard"], 2, 1),
    "simcse_debiased": (["model=simcse_unsup", "sampler=debiased"], 2, 1),
    "simcse_false_negative": (["model=simcse_unsup", "sampler=false_negative", "sampler.top_k=1"], 2, 1),
    "simcse_augment": (["model=simcse_unsup", "augment=" + ",".join(AUGMENTS), "run_name=simcse_${augment.name}"],
                       2, len(AUGMENTS)),
    "simcse_mlm": (["model=simcse_unsup_mlm"], 4, 1),
}
# name -> (overrides, views, matching evaluation); each supervised model yaml picks its loss/sampler/data
SUPERVISED: dict[str, tuple[list[str], float, str]] = {
    "simcse_sup_nli": (["model=simcse_sup"], 3, "sts_core"),
    "supcon_banking77": (["model=supcon", "data=banking77"], 2, "intent:banking77"),
    "supcon_clinc150": (["model=supcon", "data=clinc150"], 2, "intent:clinc150"),
    "supcon_snips": (["model=supcon", "data=snips"], 2, "intent:snips"),
    "cosent_stsb": (["model=cosent"], 3, "sts_core"),  # pairs of max_len 64: 2 views x 1.5
    "sbert_regression_stsb": (["model=sbert", "loss=cosine_regression", "data=stsb_train"], 3, "sts_core"),
}
POOLINGS = ("cls", "cls_before_pooler", "mean", "max", "first_last_avg", "last2avg")

# --- costs (see the module docstring) -----------------------------------------------------------------------
SECONDS_PER_SEQUENCE = {"minilm_l6": 0.023, "mini_offline": 0.007, "tiny_random": 0.001}
SENTENCES_PER_SECOND = {"minilm_l6": 350.0, "mini_offline": 1100.0, "tiny_random": 20000.0}
EVAL_SENTENCES = {"sts": 26_800, "sts_core": 10_400, "intent": 13_000, "dev": 2_900}  # clustering: 3 x texts/set
PROCESS_S, JOB_S = 8.0, 6.0
FLOW_FIT_S = 30.0  # the flow job took 32 s longer than the whitening job


@dataclass
class Budget:
    """The knobs of the whole table."""

    steps_minilm: int = 4
    steps_base: int = 20
    steps_supervised: int = 10
    batch_size: int = 32
    seeds: tuple[int, ...] = (1, 2, 3)
    seeds_stc: tuple[int, ...] = (1, 2, 3)  # the issue: at least 3 seeds for every unsupervised row
    seeds_supervised: tuple[int, ...] = (1,)
    clustering_texts: int = 1000  # per set, trained on and clustered (data.max_texts = eval max_texts)
    base_backbone: str = "mini_offline"
    sts_trained: str = "sts"  # evaluation of trained STS rows: sts (the suite) | sts_core (STS-B + SICK-R test)
    smoke: bool = False


@dataclass
class Job:
    """One Hydra multirun: `python -m sentemb.run -m <overrides>` writing under <runs>/<section>/<name>."""

    section: str
    name: str
    overrides: list[str]
    estimate_s: float
    runs: int = 1


def eval_overrides(kind: str, budget: Budget) -> list[str]:
    """The eval settings of an evaluation profile (smoke: the smallest that still runs every evaluator)."""
    smoke = budget.smoke
    sts_tasks = "[STSBenchmark]" if smoke else None
    clustering = [f"eval.clustering.max_texts={budget.clustering_texts}"] + (
        ["eval.clustering.n_seeds=1"] if smoke else [])
    intent = (["eval.intent_centroid.tasks=[snips]", "eval.intent_centroid.max_train_per_label=2"] if smoke else
              ["eval.intent_centroid.tasks=[banking77,clinc150,snips]", "eval.intent_centroid.max_train_per_label=20"])
    return _profile(kind, budget, sts_tasks, clustering, intent) + (["model.eval_max_length=32"] if smoke else [])


def _profile(kind: str, budget: Budget, sts_tasks, clustering: list[str], intent: list[str]) -> list[str]:
    smoke = budget.smoke
    if kind == "all":
        out = ["eval=[sts,clustering,intent_centroid]", *clustering, *intent]
        return out + ([f"eval.sts.tasks={sts_tasks}"] if smoke else [])
    if kind == "sts":
        return ["eval=sts"] + ([f"eval.sts.tasks={sts_tasks}"] if smoke else [])
    if kind == "sts_core":
        return ["eval=sts", "eval.sts.tasks=" + (sts_tasks or "[STSBenchmark,SICKRelatedness]")]
    if kind == "clustering":
        return ["eval=clustering", *clustering]
    if kind.startswith("intent:"):
        task = kind.split(":", 1)[1]
        per_label = 2 if smoke else 20
        return ["eval=intent_centroid", f"eval.intent_centroid.tasks=[{task}]",
                f"eval.intent_centroid.max_train_per_label={per_label}"]
    raise ValueError(f"unknown evaluation profile {kind!r}")


def _eval_s(kind: str, backbone: str, budget: Budget) -> float:
    """Seconds to encode what evaluation profile `kind` scores (scoring itself is small beside it)."""
    n = {**EVAL_SENTENCES, "clustering": 3 * budget.clustering_texts}
    if kind == "all":
        sentences = n["sts"] + n["clustering"] + n["intent"]
    elif kind.startswith("intent:"):
        sentences = n["intent"] / 3 + n["dev"]
    else:
        sentences = n[kind] + (n["dev"] if kind == "clustering" else 0)  # the STS profiles include dev
    return sentences / SENTENCES_PER_SECOND[backbone]


def _train_s(steps: int, batch: int, views: float, backbone: str) -> float:
    return steps * batch * views * SECONDS_PER_SEQUENCE[backbone]


def _data_limits(section_data: str, budget: Budget) -> list[str]:
    """Smoke mode reads a few hundred rows of each data set; the real table reads them whole."""
    if not budget.smoke:
        return []
    return {"wiki": ["data.max_lines=300"], "stc": [], "nli": ["data.max_rows=100"], "labelled": [],
            "pairs": ["data.max_rows=100"]}[section_data]


def _backbone(name: str, budget: Budget) -> str:
    return "tiny_random" if budget.smoke else name


def _common(budget: Budget, steps: int) -> list[str]:
    # the start points are rows of their own: no run scores its starting encoder again (start_scores)
    return [f"trainer.max_steps={steps}", f"data.batch_size={budget.batch_size}", "callbacks=none",
            "save_model=false", "start_scores.enabled=false"]


def _seeds(seeds: tuple[int, ...]) -> str:
    return "seed=" + ",".join(str(s) for s in seeds)


def zero_shot(budget: Budget) -> list[Job]:
    """minilm_l6 without training: six poolings, then whitening and flow on mean pooling."""
    bb = _backbone("minilm_l6", budget)
    base = ["model=avg", f"backbone={bb}", *eval_overrides("all", budget), "seed=1"]
    pp = ["postprocess.max_sentences=300"] if budget.smoke else ["postprocess.max_sentences=10000"]
    encode_fit = 10_000 / SENTENCES_PER_SECOND[bb]
    per_run = JOB_S + _eval_s("all", bb, budget)
    return [
        Job("zero_shot", "poolings", [*base, "model.pooling=" + ",".join(POOLINGS), "run_name=avg_${model.pooling}"],
            PROCESS_S + len(POOLINGS) * per_run, len(POOLINGS)),
        *(Job("zero_shot", name, [*base, "model.pooling=mean", f"postprocess={name}", *pp,
                                  *(["postprocess.transform.steps=3"] if budget.smoke and name == "flow" else []),
                                  f"run_name=avg_mean_{name}"],
              PROCESS_S + per_run + encode_fit + (FLOW_FIT_S if name == "flow" and not budget.smoke else 0))
          for name in ("whitening", "flow")),
    ]


def unsupervised(section: str, budget: Budget, backbone: str, data: str, steps: int, seeds: tuple[int, ...],
                 evaluation: str, baselines: tuple[str, ...] = ("cls_before_pooler", "mean")) -> list[Job]:
    """Every unsupervised method from `backbone` on `data`, plus its starting points (model=avg) evaluated
    the same way (cls_before_pooler: where SimCSE, ArcCSE and the samplers start; mean: where VaSCL starts)."""
    bb = _backbone(backbone, budget)
    data_overrides = {"wiki": ["data=wiki_sample"],
                      "stc": ["data=stc_texts", f"data.max_texts={budget.clustering_texts}"]}[data]
    data_overrides = data_overrides + _data_limits(data, budget)
    ev = eval_overrides(evaluation, budget)
    jobs = [Job(section, "start_points", ["model=avg", f"backbone={bb}", *ev, "seed=1",
                                          "model.pooling=" + ",".join(baselines), "run_name=avg_${model.pooling}"],
                PROCESS_S + len(baselines) * (JOB_S + _eval_s(evaluation, bb, budget)), len(baselines))]
    for name, (overrides, views, variants) in UNSUPERVISED.items():
        per_run = JOB_S + _train_s(steps, budget.batch_size, views, bb) + _eval_s(evaluation, bb, budget)
        named = [] if variants > 1 else [f"run_name={name}"]  # a sweep names its runs in its overrides
        jobs.append(Job(section, name, [*overrides, f"backbone={bb}", *data_overrides, *_common(budget, steps),
                                        *ev, _seeds(seeds), *named],
                        PROCESS_S + variants * len(seeds) * per_run, variants * len(seeds)))
    return jobs


def supervised(section: str, budget: Budget, backbone: str, steps: int, seeds: tuple[int, ...],
               names: tuple[str, ...] | None = None, evaluation: str | None = None) -> list[Job]:
    """Supervised methods on their own data, scored on the matching test (or on `evaluation` for all)."""
    bb = _backbone(backbone, budget)
    jobs = []
    for name, (overrides, views, matching) in SUPERVISED.items():
        if names is not None and name not in names:
            continue
        kind = evaluation or matching
        data_kind = ("nli" if name.startswith("simcse_sup") else "labelled" if name.startswith("supcon")
                     else "pairs")
        ev = eval_overrides(kind, budget)
        if evaluation and matching.startswith("intent:"):  # supcon: its intent test beside the STS scores
            ev = list(dict.fromkeys(["eval=[sts,intent_centroid]", *eval_overrides(evaluation, budget)[1:],
                                     *eval_overrides(matching, budget)[1:]]))
        per_run = JOB_S + _train_s(steps, budget.batch_size, views, bb) + _eval_s(kind, bb, budget)
        jobs.append(Job(section, name, [*overrides, f"backbone={bb}", *_data_limits(data_kind, budget),
                                        *_common(budget, steps), *ev, _seeds(seeds), f"run_name={name}"],
                        PROCESS_S + len(seeds) * per_run, len(seeds)))
    return jobs


SECTIONS = ("zero_shot", "unsup_wiki", "unsup_stc", "offline_base", "supervised")


def build_plan(budget: Budget, sections: tuple[str, ...] = SECTIONS) -> list[Job]:
    """The jobs of the requested sections, in the order they run."""
    jobs: list[Job] = []
    if "zero_shot" in sections:
        jobs += zero_shot(budget)
    if "unsup_wiki" in sections:
        jobs += unsupervised("unsup_wiki", budget, "minilm_l6", "wiki", budget.steps_minilm, budget.seeds,
                             budget.sts_trained)
    if "unsup_stc" in sections:
        jobs += unsupervised("unsup_stc", budget, "minilm_l6", "stc", budget.steps_minilm, budget.seeds_stc,
                             "clustering", baselines=("mean",))
    if "offline_base" in sections:
        base = budget.base_backbone
        jobs += unsupervised("offline_base", budget, base, "wiki", budget.steps_base, budget.seeds, budget.sts_trained,
                             baselines=("cls_before_pooler", "mean", "first_last_avg"))
        jobs += supervised("offline_base", budget, base, budget.steps_base, budget.seeds,
                           names=("simcse_sup_nli", "supcon_banking77", "cosent_stsb", "sbert_regression_stsb"),
                           evaluation=budget.sts_trained)
    if "supervised" in sections:
        jobs += supervised("supervised", budget, "minilm_l6", budget.steps_supervised, budget.seeds_supervised)
    return jobs


def smoke_budget() -> Budget:
    """tiny_random everywhere, 2 steps of 32, one seed, the smallest evaluation: the pipeline end to end."""
    return Budget(steps_minilm=2, steps_base=2, steps_supervised=2, batch_size=32, seeds=(1,), seeds_stc=(1,),
                  seeds_supervised=(1,), clustering_texts=100, smoke=True)
