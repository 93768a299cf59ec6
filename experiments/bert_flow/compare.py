"""BERT-flow old vs new architecture on all-MiniLM-L6-v2 from ONE cached encoding (the CPU here is shared).

    # 1. encode once (mean and first_last_avg pooling of every eval sentence) -> /tmp cache
    flock /tmp/sentemb-heavy.lock python experiments/bert_flow/compare.py --encode-only
    # 2. fit + score flows with whatever `sentemb` is on PYTHONPATH (old code: a `git archive` of main)
    flock /tmp/sentemb-heavy.lock python experiments/bert_flow/compare.py --label new --pooling mean

Fitting corpus = `postprocess.corpus=target` with `eval=sts` (every sentence of STS12-16, STS-B test, SICK-R
test and the STS-B dev sentences of align_uniform); scores from the framework's evaluators, as in
experiments/posthoc_baselines/table.py (whose encoding and scoring functions this reuses).
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import time
from pathlib import Path

import numpy as np
import torch

from sentemb.encoder.postprocess import Flow
from sentemb.evaluation.align_uniform import AlignUniformEvaluator
from sentemb.evaluation.dev_sets import STSBDevScorer
from sentemb.evaluation.sts import STSEvaluator
from sentemb.paths import data_dir, minilm_path

HERE = Path(__file__).resolve().parent
_spec = importlib.util.spec_from_file_location("posthoc_table", HERE.parent / "posthoc_baselines" / "table.py")
posthoc_table = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(posthoc_table)
POOLINGS = ("mean", "first_last_avg")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cache", default="/tmp/sentemb-cache/bert_flow_minilm.pt")
    ap.add_argument("--out", default=str(HERE / "results.json"))
    ap.add_argument("--encode-only", action="store_true")
    ap.add_argument("--label", default="new", help="row name prefix, e.g. old / new")
    ap.add_argument("--pooling", default="mean", choices=POOLINGS)
    ap.add_argument("--flow", default="{}", help="Flow(**json) keyword arguments (default: the class defaults)")
    ap.add_argument("--seed", type=int, default=42)
    args = ap.parse_args()
    root = data_dir()
    sts, au, dev = STSEvaluator(root), AlignUniformEvaluator(root), STSBDevScorer(root)
    target = list(dict.fromkeys([*sts.sentences, *au.sentences]))
    eval_sents = list(dict.fromkeys([*target, *dev.sentences]))
    row = {s: i for i, s in enumerate(eval_sents)}
    cache = Path(args.cache)
    if not cache.exists():
        from sentemb.encoder.backbone import load_backbone
        start = time.perf_counter()
        emb = posthoc_table.encode_poolings(load_backbone(minilm_path()), eval_sents, POOLINGS)
        cache.parent.mkdir(parents=True, exist_ok=True)
        torch.save({"emb": emb, "encode_s": round(time.perf_counter() - start, 1)}, cache)
        print(f"encoded {len(eval_sents)} sentences in {time.perf_counter() - start:.0f} s", flush=True)
    emb = torch.load(cache)["emb"]
    results = json.loads(Path(args.out).read_text()) if Path(args.out).exists() else {}
    if args.encode_only:
        for p in POOLINGS:
            results[f"avg {p}"] = posthoc_table.score(emb[p], row, sts, au, dev)
            print(p, results[f"avg {p}"]["sts"]["avg"], flush=True)
    else:
        kwargs = {"seed": args.seed, **json.loads(args.flow)}
        torch.manual_seed(args.seed)
        start = time.perf_counter()
        flow = Flow(**kwargs).fit(emb[args.pooling][[row[s] for s in target]])
        fit_s = round(time.perf_counter() - start, 1)
        with torch.no_grad():
            res = posthoc_table.score(flow(emb[args.pooling]), row, sts, au, dev)
        hist = flow.loss_history
        res.update(fit_seconds=fit_s, flow=flow.config(), steps=len(hist), sentences=len(target),
                   nll_first_last20=[hist[0], float(np.mean(hist[-20:]))])
        name = f"{args.label} flow ({args.pooling})"
        results[name] = res
        print(name, res["sts"]["avg"], f"fit {fit_s}s", res["nll_first_last20"], flush=True)
    Path(args.out).write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
