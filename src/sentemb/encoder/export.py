"""Saving a SentenceEncoder in Hugging Face layout and in sentence-transformers layout (one folder).

sentence-transformers reads `modules.json`: Transformer at the folder root, then Pooling (1_Pooling),
then Dense modules for BERT's pooler (pooling=cls) and for an MLP head kept at inference, then the
post-processing: whitening = a Dense module (weight W^T, bias -mu W, identity activation) and a Normalize
module; a flow has no sentence-transformers module and is left out of that layout (with a warning): only
`SentenceEncoder.load` applies it.
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from safetensors.torch import save_file
from torch import nn

from sentemb.encoder.postprocess.io import POSTPROCESS_DIR, save_postprocess

log = logging.getLogger(__name__)

SENTEMB_CONFIG = "sentemb_encoder.json"  # the encoder's settings (describe()) in a saved folder
HEAD_FILE = "mlp_head.safetensors"  # the MLP head's weights, when it is kept at inference

ST_POOLING_MODE = {"cls": "cls_token", "cls_before_pooler": "cls_token", "mean": "mean_tokens", "max": "max_tokens"}
TANH = "torch.nn.modules.activation.Tanh"
IDENTITY = "torch.nn.modules.linear.Identity"


def _write_json(path: Path, obj) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(obj, indent=2) + "\n")


def _save_dense(folder: Path, linear: nn.Linear, activation: str = TANH) -> None:
    _write_json(
        folder / "config.json",
        {"in_features": linear.in_features, "out_features": linear.out_features, "bias": True,
         "activation_function": activation},
    )
    state = {"linear.weight": linear.weight.detach().cpu().contiguous(),
             "linear.bias": linear.bias.detach().cpu().contiguous()}
    save_file(state, str(folder / "model.safetensors"))


def save_sentence_transformers_layout(encoder, folder: Path) -> bool:
    """Write modules.json and module folders; False (and a warning) where the pooling has no ST equivalent."""
    if encoder.pooling not in ST_POOLING_MODE:
        log.warning("pooling '%s' has no sentence-transformers equivalent; saved in HF layout only", encoder.pooling)
        return False
    modes = ("cls_token", "mean_tokens", "max_tokens", "mean_sqrt_len_tokens")
    _write_json(
        folder / "1_Pooling" / "config.json",
        {"word_embedding_dimension": encoder.hidden_size,
         **{f"pooling_mode_{m}": m == ST_POOLING_MODE[encoder.pooling] for m in modes}},
    )
    _write_json(folder / "sentence_bert_config.json", {"max_seq_length": encoder.truncation_length(), "do_lower_case": False})
    modules = [
        {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
        {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
    ]
    denses: list[tuple[nn.Linear, str]] = []
    if encoder.pooling == "cls":
        denses.append((encoder.model.pooler.dense, TANH))
    if encoder.head is not None and encoder.head_in_eval:
        denses.append((encoder.head.dense, TANH))
    post = encoder.postprocess
    as_linear = getattr(post, "as_linear", None)
    if as_linear is not None:
        denses.append((as_linear(), IDENTITY))
    elif post is not None:
        log.warning("post-processing %s has no sentence-transformers module: the sentence-transformers layout "
                    "in %s leaves it out (SentenceTransformer(...).encode gives the embeddings before it); "
                    "SentenceEncoder.load applies it", type(post).__name__, folder)
    for linear, activation in denses:
        idx = len(modules)
        sub = f"{idx}_Dense"
        _save_dense(folder / sub, linear, activation)
        modules.append({"idx": idx, "name": str(idx), "path": sub, "type": "sentence_transformers.models.Dense"})
    if as_linear is not None and getattr(post, "normalize", False):
        idx = len(modules)
        (folder / f"{idx}_Normalize").mkdir(exist_ok=True)
        modules.append({"idx": idx, "name": str(idx), "path": f"{idx}_Normalize",
                        "type": "sentence_transformers.models.Normalize"})
    _write_json(folder / "modules.json", modules)
    return True


def save_encoder(encoder, folder: Path) -> Path:
    """Save weights (safetensors), tokenizer, the encoder settings and the sentence-transformers modules."""
    folder.mkdir(parents=True, exist_ok=True)
    encoder.model.save_pretrained(str(folder), safe_serialization=True)
    encoder.tokenizer.save_pretrained(str(folder))
    if encoder.head is not None and encoder.head_in_eval:
        save_file({k: v.detach().cpu().contiguous() for k, v in encoder.head.state_dict().items()},
                  str(folder / HEAD_FILE))
    post = encoder.postprocess
    if post is not None:
        save_postprocess(post, folder)
    _write_json(folder / SENTEMB_CONFIG, {**encoder.describe(),
                                          "postprocess": None if post is None else POSTPROCESS_DIR})
    if not save_sentence_transformers_layout(encoder, folder) and post is not None:
        log.warning("no sentence-transformers layout written, so the post-processing is only in %s/%s",
                    folder, POSTPROCESS_DIR)
    return folder


def read_pooling_of(folder: Path) -> str | None:
    """The pooling of a sentence-transformers folder (1_Pooling/config.json), or None."""
    cfg_path = folder / "1_Pooling" / "config.json"
    if not cfg_path.exists():
        return None
    cfg = json.loads(cfg_path.read_text())
    for mode, name in (("cls_token", "cls_before_pooler"), ("mean_tokens", "mean"), ("max_tokens", "max")):
        if cfg.get(f"pooling_mode_{mode}"):
            return name
    return None
