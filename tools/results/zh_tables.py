"""The Chinese section's table in experiments/RESULTS.md: its title, its text and its columns (zh_plan.py runs it).

Each row is one job of zh_plan.zh_jobs (a method or a start point), mean ± sample std over its seeds.
"""

from __future__ import annotations

from zh_plan import ZH_AUGMENTS, ZH_NO_SUPCON

ZH_METRICS = ["test/sts_zh_stsb", "test/sts_zh_atec", "test/sts_zh_bq", "test/sts_zh_lcqmc", "test/sts_zh_pawsx",
              "test/sts_zh_avg", "test/align_uniform_zh_align", "test/align_uniform_zh_uniform"]
ZH_HEADERS = ["STS-B", "ATEC", "BQ", "LCQMC", "PAWSX", "avg", "align", "uniform"]
ZH_TITLE = "Chinese transfer: every method from all-MiniLM-L6-v2 on Chinese data (`make results-zh`)"
ZH_TEXT = (
    "all-MiniLM-L6-v2 is an English model; on Chinese it is nearly untrained, so here the methods move far from "
    "their start. Every row starts from `backbone=minilm_l6` and is trained with the same budget (steps and "
    "batch in the notes at the top of this page; the steps each run made in the line above the table). "
    "Start points: `model=avg` with `cls_before_pooler` (where SimCSE, ArcCSE and the samplers start) and "
    "`mean` pooling (where CoSENT, SBERT and VaSCL start), one run each (nothing in them is random); whitening "
    "(one run: deterministic) and flow (one run per seed) on mean pooling, fitted on every sentence scored "
    "(`postprocess.corpus=target`). Supervised: CoSENT on Chinese STS-B train (`stsb_zh_train`) and on ATEC "
    "train (`atec_train`), SBERT cosine regression on `stsb_zh_train`, SBERT softmax on OCNLI pairs "
    "(`ocnli_pairs`), supervised SimCSE with hard negatives on OCNLI and on SimCLUE triplets. " + ZH_NO_SUPCON +
    " Unsupervised, on the 33,323 distinct sentences of the Chinese training sets (`data=zh_sentences`): "
    "SimCSE, ArcCSE and its ablations, VaSCL, SimCSE with `sampler=hard|debiased|false_negative`, the "
    f"augmentations {', '.join(ZH_AUGMENTS)} with `augment.cjk=chars` (a Chinese character is a word; synonym "
    "replacement is left out: its English WordNet leaves Chinese text unchanged), and the MLM auxiliary term. "
    "Scored with `eval=[sts_zh,align_uniform_zh]`: Spearman x100 of cosine vs. gold on the test sets of "
    "STS-B (zh), ATEC, BQ, LCQMC and PAWSX (`eval.sts_zh.max_pairs` in the notes: the first N pairs of each "
    "file, not the whole sets, unless it is null), avg their mean; alignment and uniformity on the Chinese "
    "STS-B dev (positives: its 52 pairs scored 5, i.e. gold > 4 as in SimCSE). Findings: the Chinese "
    "paragraph of the Findings below."
)
