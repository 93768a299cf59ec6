"""What a pretraining run leaves: the Hugging Face folder, the held-out curve (PNG), pretrain_info.json.

The folder holds config.json, model.safetensors (the `*ForMaskedLM` weights: `AutoModel` loads the
encoder, `AutoModelForMaskedLM` the head too), the tokenizer files and pretrain_info.json; a `backbone=`
option or `backbone.name_or_path=FOLDER` loads it.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from sentemb.pretraining.tokenizer import save_tokenizer

INFO_FILE = "pretrain_info.json"


def check_export_dir(export_dir: str | Path | None, overwrite: bool) -> Path | None:
    """Fail before training (not after an hour) when the export folder holds a model and may not be replaced,
    or cannot be created."""
    if not export_dir:
        return None
    path = Path(str(export_dir)).expanduser()
    if (path / "config.json").exists() and not overwrite:
        raise FileExistsError(f"export_dir '{path}' already holds a model; set export_overwrite=true to replace "
                              "it, or export_dir=ANOTHER_FOLDER")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OSError(f"export_dir '{path}': cannot create its parent folder ({err}); set export_dir or "
                      "SENTEMB_MODELS_DIR to a writable folder") from err
    return path


def save_model_folder(model, tokenizer, folder: str | Path, info: dict) -> Path:
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(folder)
    save_tokenizer(tokenizer, folder)
    (folder / INFO_FILE).write_text(json.dumps(info, indent=1, default=str))
    return folder


def copy_folder(source: Path, target: Path) -> Path:
    """Replace `target` with a copy of `source` (written beside it first, then renamed)."""
    tmp = target.with_name(target.name + ".tmp")
    shutil.rmtree(tmp, ignore_errors=True)
    shutil.copytree(source, tmp)
    if target.exists():
        shutil.rmtree(target)
    tmp.rename(target)
    return target


def read_curve(path: str | Path) -> list[dict]:
    """Records of a held-out history jsonl, sorted by step (a repeated step: the last wins)."""
    path = Path(path)
    if not path.exists():
        return []
    by_step = {}
    for line in path.read_text().splitlines():
        if line.strip():
            record = json.loads(line)
            by_step[int(record["step"])] = record
    return [by_step[s] for s in sorted(by_step)]


def plot_curve(records: list[dict], png: str | Path, title: str = "held-out masked-token accuracy") -> Path | None:
    """Accuracy (left axis) and MLM loss (right axis) against the step; None when there is nothing to plot."""
    if not records:
        return None
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    steps = [r["step"] for r in records]
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.plot(steps, [100 * r["mlm_accuracy"] for r in records], marker="o", color="tab:blue", label="accuracy")
    ax.set_xlabel("step")
    ax.set_ylabel("masked-token accuracy (%)", color="tab:blue")
    loss_ax = ax.twinx()
    loss_ax.plot(steps, [r["mlm_loss"] for r in records], marker=".", color="tab:red", alpha=0.6, label="loss")
    loss_ax.set_ylabel("MLM loss", color="tab:red")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    fig.savefig(png, dpi=120)
    plt.close(fig)
    return Path(png)
