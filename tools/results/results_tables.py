"""Build experiments/RESULTS.md from the run folders of make_results.py (results.json of every run).

Runs are collected with `sentemb.report.find_runs`, grouped by results.json's config_name (the job's
run_name) and averaged over seeds with `sentemb.report.aggregate_seeds` (mean ± sample std, n - 1); each
table is `sentemb.report.markdown_table` (best of a column in bold). Nothing here writes a finding: the
Findings section is copied from a hand-written file (experiments/FINDINGS.md), so a rebuild keeps it.
"""

from __future__ import annotations

import json
import platform
import subprocess
from collections.abc import Sequence
from datetime import datetime, timezone
from pathlib import Path

from zh_tables import ZH_HEADERS, ZH_METRICS, ZH_TEXT, ZH_TITLE

from sentemb.report import RunRecord, aggregate_seeds, find_runs, markdown_table

STS = ["test/sts12", "test/sts13", "test/sts14", "test/sts15", "test/sts16", "test/stsb", "test/sickr",
       "test/sts_avg", "test/align", "test/uniform"]
STS_HEADERS = ["STS12", "STS13", "STS14", "STS15", "STS16", "STS-B", "SICK-R", "avg", "align", "uniform"]
CLUSTERING = ["test/clustering_avg_acc", "test/clustering_avg_nmi", "test/clustering_avg_ari",
              "test/clustering_stackoverflow_acc", "test/clustering_biomedical_acc",
              "test/clustering_searchsnippets_acc"]
CLUSTERING_HEADERS = ["ACC avg", "NMI avg", "ARI avg", "StackOverflow ACC", "Biomedical ACC", "SearchSnippets ACC"]
INTENT = ["test/intent_centroid_banking77", "test/intent_centroid_clinc150", "test/intent_centroid_snips",
          "test/intent_centroid_avg"]
INTENT_HEADERS = ["Banking77", "CLINC150", "SNIPS", "avg"]
CORE = ["test/stsb", "test/sickr", "test/sts_avg", "val/stsb_spearman", "test/align", "test/uniform"]
CORE_HEADERS = ["STS-B test", "SICK-R test", "avg of the two", "STS-B dev", "align", "uniform"]

# (recipe, paper, STS12, STS13, STS14, STS15, STS16, STS-B, SICK-R, avg): Spearman x100, "all" aggregation
PAPER_NUMBERS = [
    ("simcse_unsup_bert_base", "SimCSE (Gao et al., EMNLP 2021), Table 5, unsup. BERT-base",
     (68.40, 82.41, 74.38, 80.91, 78.56, 76.85, 72.23, 76.25)),
    ("simcse_sup_bert_base", "SimCSE (Gao et al., EMNLP 2021), Table 5, sup. BERT-base",
     (75.30, 84.67, 80.19, 85.40, 80.82, 84.25, 80.39, 81.57)),
    ("arccse_bert_base", "ArcCSE (Zhang et al., ACL 2022), Table 1, BERT-base",
     (72.08, 84.27, 76.25, 82.32, 79.54, 79.92, 72.39, 78.11)),
    ("simcse_unsup_roberta_base", "SimCSE (Gao et al., EMNLP 2021), Table 5, unsup. RoBERTa-base",
     (70.16, 81.77, 73.24, 81.36, 80.65, 80.22, 68.56, 76.57)),
    ("vascl_roberta_base", "VaSCL (Zhang et al., Findings of ACL 2022), RoBERTa-base: figures to be copied "
     "from the paper's STS table (not verifiable from the sources reachable when this was written)", None),
]

SECTION_TEXT = {
    "zero_shot": ("Zero-shot baselines: all-MiniLM-L6-v2 without training",
                  "`model=avg` with each pooling; whitening and flow fitted on mean pooling "
                  "(`postprocess.corpus=target`, 10,000 of its sentences). One run each (nothing is random but "
                  "the flow's training and the K-means seeds)."),
    "unsup_wiki": ("Unsupervised adaptation from all-MiniLM-L6-v2 on wiki_sample, scored on STS",
                   "Each method at its own defaults (pooling, head, loss), trained from minilm_l6 on the 11,914 "
                   "wiki sentences; `start_points` are the untrained poolings the methods start from. {scoring}"),
    "unsup_stc": ("Unsupervised adaptation on the clustering texts (domain adaptation), scored on clustering",
                  "Trained on the unlabelled texts of StackOverflow, Biomedical and SearchSnippets "
                  "(`data=stc_texts`, the same random subset per set that is clustered), K-means with K = the "
                  "gold classes, the mean over 5 K-means seeds (x100)."),
    "offline_base": ("From the offline MLM base encoder",
                     "Every unsupervised method and the supervised ones trained from `backbone=mini_offline` "
                     "(an MLM-only base, not tuned for sentence embeddings); supcon also with its intent score; "
                     "`start_points`: the untrained poolings. {scoring}"),
    "supervised": ("Supervised methods from all-MiniLM-L6-v2, scored on their matching test",
                   "simcse_sup on the SNLI triplets here (nli_sample), supcon on each intent training set "
                   "(nearest-centroid accuracy on its test set, centroids from 20 training texts per intent), "
                   "cosent and SBERT's cosine-regression objective on STS-B train."),
    "zh": (ZH_TITLE, ZH_TEXT),  # the Chinese section: zh_plan.py, zh_tables.py
}


def _git_commit() -> str:
    """The commit of the checkout this tool lives in, whatever the working directory."""
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True, text=True,
                              check=True, cwd=Path(__file__).resolve().parent).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"


def _duration(seconds: float) -> str:
    minutes = round(seconds / 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"


def section_runs(runs_dir: Path, section: str, job_order: Sequence[str] = ()) -> list[RunRecord]:
    """The seed-averaged records of one section ([] when it has no results yet), in the order of its jobs
    (`job_order`: the job folder names). A `± std` in the tables is always the spread over training seeds:
    a run's own spread over K-means seeds is dropped from rows of one run."""
    folder = runs_dir / section
    if not folder.is_dir() or not any(folder.rglob("results.json")):
        return []
    runs = find_runs([folder])
    rank = {name: i for i, name in enumerate(job_order)}
    runs.sort(key=lambda r: rank.get(r.path.relative_to(folder).parts[0], len(rank)))
    rows = aggregate_seeds(runs)
    for row in rows:
        if row.info.get("n_runs", 1) == 1:
            row.metrics = {k: v for k, v in row.metrics.items() if not k.endswith("_std")}
    return rows


def _with(runs: Sequence[RunRecord], metrics: Sequence[str]) -> list[RunRecord]:
    return [r for r in runs if any(m in r.metrics for m in metrics)]


def _table(runs: Sequence[RunRecord], metrics: Sequence[str], headers: Sequence[str], first="method") -> str:
    present = [(m, h) for m, h in zip(metrics, headers) if any(m in r.metrics for r in runs)]
    if not runs or not present:
        return "_no results_\n"
    return markdown_table(runs, [m for m, _ in present], [h for _, h in present], first_header=first)


def _seed_line(runs: Sequence[RunRecord]) -> str:
    counts = sorted({r.info.get("n_runs", 1) for r in runs})
    steps = sorted({r.info.get("global_step") for r in runs if r.info.get("global_step") is not None})
    seeds = "one seed" if counts == [1] else f"mean ± sample std over {'/'.join(map(str, counts))} seeds"
    trained = f"; training steps per run: {', '.join(map(str, steps))}" if steps else ""
    return f"_{seeds}{trained}._\n"


def _scored_on_suite(runs: Sequence[RunRecord]) -> bool:
    return any("test/sts12" in r.metrics for r in runs)


def _sts_scoring(runs: Sequence[RunRecord]) -> str:
    """What the STS columns of a trained section are, from what its runs were scored on (`--sts-trained`)."""
    if _scored_on_suite(runs):
        return ("Scored on the whole STS suite (STS12-16 test sets, STS-B test, SICK-R test; avg is the mean of "
                "the seven), STS-B dev, alignment and uniformity on STS-B dev.")
    return ("Scored on STS-B test and SICK-R test only (`--sts-trained sts_core`; avg is the mean of the two), "
            "STS-B dev, alignment and uniformity on STS-B dev.")


def _sts_table(runs: Sequence[RunRecord], extra: Sequence[str] = (), extra_headers: Sequence[str] = ()) -> str:
    """The STS table of a trained section: every STS column when the runs were scored on the suite, else CORE."""
    if _scored_on_suite(runs):
        metrics = [*STS[:8], "val/stsb_spearman", *STS[8:]]
        headers = [*STS_HEADERS[:8], "STS-B dev", *STS_HEADERS[8:]]
    else:
        metrics, headers = CORE, CORE_HEADERS
    return _table(runs, [*metrics, *extra], [*headers, *extra_headers])


def section_markdown(section: str, runs: Sequence[RunRecord]) -> str:
    title, text = SECTION_TEXT[section]
    text = text.replace("{scoring}", _sts_scoring(runs))
    parts = [f"## {title}\n", text + "\n"]
    if not runs:
        return "\n".join(parts + ["_no results: the section did not run (see the run log above)._\n"])
    parts.append(_seed_line(runs))
    if section == "zero_shot":
        parts += ["STS (Spearman x100), alignment and uniformity (STS-B dev):\n", _table(runs, STS, STS_HEADERS, "pooling"),
                  "Clustering (x100) and intent (nearest-centroid accuracy x100):\n",
                  _table(runs, CLUSTERING[:3] + INTENT, CLUSTERING_HEADERS[:3] + ["intent " + h for h in INTENT_HEADERS],
                         "pooling")]
    elif section == "unsup_wiki":
        parts.append(_sts_table(runs))
    elif section == "unsup_stc":
        parts.append(_table(runs, [*CLUSTERING, "val/stsb_spearman"], [*CLUSTERING_HEADERS, "STS-B dev"]))
    elif section == "zh":
        parts.append(_table(runs, ZH_METRICS, ZH_HEADERS))
    elif section == "offline_base":
        parts.append(_sts_table(runs, ["test/intent_centroid_banking77"], ["Banking77 intent"]))
    else:
        parts.append(_table(runs, ["test/sts_avg", "test/stsb", "test/sickr", "test/align", "test/uniform", *INTENT[:3]],
                            ["STS avg", "STS-B test", "SICK-R test", "align", "uniform", *INTENT_HEADERS[:3]]))
    return "\n".join(parts)


def paper_markdown(runs_dir: Path) -> str:
    """The papers' reported STS figures beside an "ours" column, filled from <runs>/paper_recipes/<recipe>
    when a GPU run of that recipe was copied there (results.json), else empty."""
    lines = ["## Paper recipes (`experiment=...`, need the Hub and a GPU)\n",
             "Reported STS Spearman x100 (\"all\" aggregation) and ours with the same recipe. Run one with "
             "`python -m sentemb.run experiment=<recipe> hardware=gpu`; copy its run folder to "
             "`<runs>/paper_recipes/<recipe>/` and rebuild to fill the last column.\n",
             "| recipe | source | STS12 | STS13 | STS14 | STS15 | STS16 | STS-B | SICK-R | avg | ours (avg) |",
             "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for recipe, source, numbers in PAPER_NUMBERS:
        cells = [f"{v:.2f}" for v in numbers] if numbers else [""] * 8
        ours = ""
        found = sorted((runs_dir / "paper_recipes" / recipe).rglob("results.json")) if runs_dir.is_dir() else []
        if found:
            metrics = json.loads(found[-1].read_text()).get("metrics", {})
            ours = f"{metrics['test/sts_avg']:.2f}" if "test/sts_avg" in metrics else ""
        lines.append(f"| `{recipe}` | {source} | " + " | ".join(cells) + f" | {ours} |")
    return "\n".join(lines) + "\n"


def header_markdown(meta: dict) -> str:
    lines = ["# sentemb: the results table\n",
             f"Regenerate with `{meta.get('command', 'make results')}`. Built {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC "
             f"by the tool at commit {_git_commit()} on {platform.node() or 'this machine'} "
             f"({meta.get('cpus', '?')} CPU cores, {platform.machine()}); the commit each section's runs were "
             "made at is in the table below.\n"]
    if meta.get("smoke"):
        lines.append("**Smoke run**: tiny random backbone, 2 steps, one seed, tiny evaluation. These numbers mean "
                     "nothing; they show the pipeline runs end to end.\n")
    if meta.get("budget"):
        lines.append("Budget: " + ", ".join(f"{k} {v}" for k, v in meta["budget"].items()) + ".\n")
    jobs = meta.get("jobs", [])
    if jobs:
        lines += ["| section | jobs | runs | failed | wall time | estimate | commit |",
                  "|---|---:|---:|---:|---:|---:|---|"]
        for section in dict.fromkeys(j["section"] for j in jobs):
            mine = [j for j in jobs if j["section"] == section]
            failed = [j["name"] for j in mine if j.get("rc") not in (0, None)]
            wall = sum(j.get("wall_s") or 0 for j in mine)
            lines.append(f"| {section} | {len(mine)} | {sum(j['runs'] for j in mine)} | {len(failed)} | "
                         f"{_duration(wall)} | {_duration(sum(j['estimate_s'] for j in mine))} | "
                         f"{', '.join(dict.fromkeys(j['commit'] for j in mine if j.get('commit'))) or 'not recorded'} |")
        total = sum(j.get("wall_s") or 0 for j in jobs)
        lines.append(f"\nTotal wall time {_duration(total)} (measured; the estimate is in "
                     "tools/results/results_plan.py).\n")
        failed = [j for j in jobs if j.get("rc") not in (0, None)]
        if failed:
            lines.append("Failed jobs (their rows are missing or partial): " + ", ".join(
                f"`{j['section']}/{j['name']}` (rc {j['rc']}, log `{j.get('log', '')}`)" for j in failed) + ".\n")
    for note in meta.get("notes", []):
        lines.append(f"**Note:** {note}\n")
    return "\n".join(lines)


FINDINGS_PLACEHOLDER = """## Findings

_Not written by the pipeline. To be written by a person from the numbers above: which method helps where, by
how much, with what seed spread, and where a method did not help._
"""


def findings_markdown(findings: Path | None) -> str:
    """The hand-written Findings (a markdown file starting with "## Findings"), or the placeholder."""
    if findings is None or not findings.is_file():
        return FINDINGS_PLACEHOLDER
    text = findings.read_text()
    if not text.lstrip().startswith("## Findings"):
        raise ValueError(f"{findings}: a findings file must start with a '## Findings' heading")
    return text


def build_results(runs_dir: str | Path, out: str | Path, meta: dict, sections: Sequence[str],
                  findings: Path | None = None) -> Path:
    """Write RESULTS.md at `out` from the runs under `runs_dir`; returns its path. Rows follow the order of
    meta["jobs"] (the plan's), then any other job folder found; the Findings come from `findings`."""
    runs_dir, out = Path(runs_dir), Path(out)
    parts = [header_markdown(meta)]
    for section in sections:
        order = [j["name"] for j in meta.get("jobs", []) if j["section"] == section]
        parts.append(section_markdown(section, section_runs(runs_dir, section, order)))
    parts += [paper_markdown(runs_dir), findings_markdown(findings)]
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(parts))
    return out
