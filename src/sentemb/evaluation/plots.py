"""PNG figures of runs (matplotlib, Agg backend: no display needed).

- `plot_align_uniform`: the alignment-vs-uniformity figure of SimCSE (Gao et al. 2021, Fig. 2): x = uniformity,
  y = alignment (both lower is better), one point per STS-B dev evaluation (checkpoint), one line per run,
  the first and last step labelled.
- `plot_dev_curves`: STS-B dev Spearman against the training step, one line per run.
- `plot_scores`: grouped bars of selected final scores, one group per metric, one bar per run.
- `plot_sweep`: final scores against one swept setting (e.g. loss.temperature), one line per metric.

Histories are lists of the dicts of `dev_history.jsonl` ({"step", "stsb_spearman", "align", "uniform", ...}).
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

from sentemb.data.errors import DataFormatError

__all__ = ["plot_align_uniform", "plot_dev_curves", "plot_scores", "plot_sweep", "read_history"]


def read_history(path: str | Path) -> list[dict]:
    """The records of a dev_history.jsonl, sorted by step (a resumed run may repeat a step: the last wins)."""
    by_step: dict[int, dict] = {}
    for lineno, line in enumerate(Path(path).read_text().splitlines(), start=1):
        if not line.strip():
            continue
        try:
            record = json.loads(line)
        except json.JSONDecodeError as err:
            raise DataFormatError(f"{path}:{lineno}: not a JSON line ({err.msg})") from None
        by_step[int(record.get("step", lineno))] = record
    return [by_step[s] for s in sorted(by_step)]


def _save(fig, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
    return path


def plot_align_uniform(histories: Mapping[str, Sequence[Mapping]], path: str | Path,
                       title: str = "Alignment vs. uniformity (STS-B dev)") -> Path:
    """One line per run through its (uniform, align) points in step order; returns the PNG path."""
    fig, ax = plt.subplots(figsize=(6.4, 4.8))
    drawn = 0
    for label, history in histories.items():
        points = [(h["uniform"], h["align"], h.get("step")) for h in history if "uniform" in h and "align" in h]
        if not points:
            continue
        xs, ys, steps = zip(*points)
        line, = ax.plot(xs, ys, marker="o", markersize=4, label=label)
        ax.plot(xs[-1], ys[-1], marker="*", markersize=12, color=line.get_color())
        for i in {0, len(points) - 1}:
            if steps[i] is not None:
                ax.annotate(str(steps[i]), (xs[i], ys[i]), textcoords="offset points", xytext=(4, 4), fontsize=7,
                            color=line.get_color())
        drawn += 1
    if not drawn:
        ax.text(0.5, 0.5, "no alignment/uniformity history", ha="center", va="center", transform=ax.transAxes)
    ax.set_xlabel(r"$\ell_{uniform}$ (lower is better)")
    ax.set_ylabel(r"$\ell_{align}$ (lower is better)")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if drawn:
        ax.legend(fontsize=7)
    return _save(fig, path)


def plot_dev_curves(histories: Mapping[str, Sequence[Mapping]], path: str | Path,
                    key: str = "stsb_spearman", ylabel: str = "STS-B dev Spearman x100") -> Path:
    """`key` of each history record against its step, one line per run."""
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for label, history in histories.items():
        points = [(h["step"], h[key]) for h in history if key in h and "step" in h]
        if points:
            ax.plot(*zip(*points), marker="o", markersize=3, label=label)
    ax.set_xlabel("training step")
    ax.set_ylabel(ylabel)
    ax.grid(alpha=0.3)
    if ax.lines:
        ax.legend(fontsize=7)
    return _save(fig, path)


def plot_scores(scores: Mapping[str, Mapping[str, float]], metrics: Sequence[str], path: str | Path) -> Path:
    """Grouped bars: `scores` = {run: {metric: value}}; one group per metric of `metrics`, one bar per run."""
    runs = list(scores)
    fig, ax = plt.subplots(figsize=(max(6.4, 1.2 * len(metrics) * max(1, len(runs)) ** 0.5), 4.4))
    width = 0.8 / max(1, len(runs))
    for r, run in enumerate(runs):
        xs = [m + (r - (len(runs) - 1) / 2) * width for m in range(len(metrics))]
        ax.bar(xs, [scores[run].get(k, float("nan")) for k in metrics], width=width, label=run)
    ax.set_xticks(range(len(metrics)))
    ax.set_xticklabels([m.split("/", 1)[-1] for m in metrics], rotation=30, ha="right", fontsize=8)
    ax.set_ylabel("score")
    ax.grid(axis="y", alpha=0.3)
    if runs:
        ax.legend(fontsize=7)
    return _save(fig, path)


def plot_sweep(values: Sequence[float], scores: Mapping[str, Sequence[float]], setting: str,
               path: str | Path) -> Path:
    """Final scores against the swept `setting`: `scores` = {metric: one value per entry of `values`}."""
    order = sorted(range(len(values)), key=lambda i: values[i])
    fig, ax = plt.subplots(figsize=(6.4, 4.0))
    for metric, ys in scores.items():
        ax.plot([values[i] for i in order], [ys[i] for i in order], marker="o", label=metric.split("/", 1)[-1])
    ax.set_xlabel(setting)
    ax.set_ylabel("score")
    ax.grid(alpha=0.3)
    if scores:
        ax.legend(fontsize=7)
    return _save(fig, path)
