"""The post-hoc baselines table over one backbone from ONE encoding pass (the CPU here is shared and slow).

    python experiments/posthoc_baselines/table.py --out experiments/posthoc_baselines/table.json

Encodes every sentence once with output_hidden_states, pools it six ways (cls, cls_before_pooler, mean, max,
first_last_avg, last2avg) and scores each pooling; then fits the library's transforms on mean pooling
(sentemb.encoder.postprocess: Whitening k=all/256 and Flow, on corpora target / wiki / nli exactly as
`postprocess.corpus` picks them) and scores them. Scoring uses the framework's evaluators (STS suite, "all"
aggregation; alignment/uniformity and Spearman on STS-B dev), so the figures equal those of
`python -m sentemb.run model=avg model.pooling=P [postprocess=...]`, which re-encodes per run.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

import numpy as np
import torch

from sentemb.encoder.backbone import load_backbone
from sentemb.encoder.pooling import NEEDS_HIDDEN_STATES, POOLINGS, pool
from sentemb.encoder.postprocess import Flow, Whitening
from sentemb.encoder.postprocess.fitting import corpus_sentences
from sentemb.evaluation.align_uniform import AlignUniformEvaluator
from sentemb.evaluation.dev_sets import STSBDevScorer
from sentemb.evaluation.sts import STSEvaluator
from sentemb.paths import data_dir, minilm_path


@torch.inference_mode()
def encode_poolings(backbone, sentences: list[str], poolings, batch_size=128, max_length=256) -> dict:
    """{pooling: (N, H) float32 tensor} for every pooling from one forward pass per batch."""
    model, tok = backbone.model.eval(), backbone.tokenizer
    order = np.argsort([-len(s) for s in sentences], kind="stable")
    chunks = {p: [] for p in poolings}
    hidden = any(p in NEEDS_HIDDEN_STATES for p in poolings)
    for i, start in enumerate(range(0, len(order), batch_size)):
        batch = [sentences[j] for j in order[start:start + batch_size]]
        feats = tok(batch, padding=True, truncation=True, max_length=max_length, return_tensors="pt")
        out = model(**feats, output_hidden_states=hidden)
        for p in poolings:
            chunks[p].append(pool(p, out, feats["attention_mask"]).float())
        if i % 20 == 0:
            print(f"  encoded {start + len(batch)}/{len(sentences)}", flush=True)
    result = {}
    for p, parts in chunks.items():
        stacked = torch.cat(parts)
        emb = torch.empty_like(stacked)
        emb[torch.as_tensor(order)] = stacked
        result[p] = emb
    return result


def score(emb: torch.Tensor, row: dict[str, int], sts, au, dev) -> dict:
    """Scores of embeddings `emb` (rows indexed by `row`) with the framework's evaluators."""
    def encode(sents):
        return emb[[row[s] for s in sents]].numpy()
    sts_res = sts(encode)
    au_res = au(encode)
    dev_res = dev(encode)
    return {"sts": sts_res, "align": au_res["align"], "uniform": au_res["uniform"],
            "stsb_dev": dev_res["stsb_spearman"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--out", default="experiments/posthoc_baselines/table.json")
    ap.add_argument("--cache", default="/tmp/sentemb-cache/posthoc_minilm.pt")
    ap.add_argument("--max-corpus", type=int, default=10000, help="postprocess.max_sentences for wiki and nli")
    ap.add_argument("--flow-steps", type=int, default=500)
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    root = data_dir()
    sts, au, dev = STSEvaluator(root), AlignUniformEvaluator(root), STSBDevScorer(root)
    target = list(dict.fromkeys([*sts.sentences, *au.sentences]))  # = postprocess.corpus=target with eval=sts
    corpora = {"target": target,
               "wiki": corpus_sentences("wiki", root, max_sentences=args.max_corpus, seed=args.seed),
               "nli": corpus_sentences("nli", root, max_sentences=args.max_corpus, seed=args.seed)}
    eval_sents = list(dict.fromkeys([*target, *dev.sentences]))
    row = {s: i for i, s in enumerate(eval_sents)}
    cache = Path(args.cache)
    timings = {}
    if cache.exists():
        saved = torch.load(cache)
        emb, corpus_emb = saved["emb"], saved["corpus_emb"]
        timings = saved["timings"]
    else:
        backbone = load_backbone(minilm_path())
        start = time.perf_counter()
        emb = encode_poolings(backbone, eval_sents, POOLINGS)
        timings["encode_eval_6_poolings_s"] = round(time.perf_counter() - start, 1)
        corpus_emb = {}
        for name in ("wiki", "nli"):
            start = time.perf_counter()
            corpus_emb[name] = encode_poolings(backbone, corpora[name], ["mean"])["mean"]
            timings[f"encode_{name}_s"] = round(time.perf_counter() - start, 1)
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"emb": emb, "corpus_emb": corpus_emb, "timings": timings}, cache)
    corpus_emb["target"] = emb["mean"][[row[s] for s in target]]
    results = {"sentences": {"eval": len(eval_sents), **{k: len(v) for k, v in corpora.items()}},
               "timings": timings, "rows": {}}
    for p in POOLINGS:
        results["rows"][f"avg {p}"] = score(emb[p], row, sts, au, dev)
        print(p, results["rows"][f"avg {p}"]["sts"]["avg"], flush=True)
    variants = [(f"whitening{'' if k is None else '-' + str(k)} ({c})", c, lambda k=k: Whitening(k=k))
                for c in ("target", "wiki", "nli") for k in (None, 256)]
    variants += [(f"flow ({c})", c, lambda: Flow(steps=args.flow_steps, seed=args.seed, log_every=100))
                 for c in ("target", "wiki", "nli")]
    for name, corpus, make in variants:
        start = time.perf_counter()
        transform = make().fit(corpus_emb[corpus])
        fit_s = round(time.perf_counter() - start, 1)
        with torch.no_grad():
            out = transform(emb["mean"])
        res = score(out, row, sts, au, dev)
        res["fit_seconds"] = fit_s
        if isinstance(transform, Flow):
            h = transform.loss_history
            res["flow_nll_first_last20"] = [h[0], float(np.mean(h[-20:]))]
        results["rows"][f"mean + {name}"] = res
        print(name, res["sts"]["avg"], f"fit {fit_s}s", flush=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
