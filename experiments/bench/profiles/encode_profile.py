"""Padding and profile of encoding the 2,551 unique STS-B test sentences (all-MiniLM-L6-v2, batch 128).

    PYTHONPATH=src SENTEMB_DATA_DIR=../shared/data python experiments/bench/profiles/encode_profile.py

Prints the padded tokens of batches sorted by characters (sentence-transformers) and by tokens (sentemb),
two timed rounds of both encoders, and the PyTorch profiler's table of encoding 1,024 sentences.
Output recorded in encode_profile.txt.
"""

import time

import numpy as np
import torch.profiler as tp
from sentence_transformers import SentenceTransformer

from sentemb.data.sts_readers import read_stsb
from sentemb.encoder.sentence_encoder import SentenceEncoder
from sentemb.paths import data_dir, minilm_path

pairs = read_stsb(data_dir() / "en" / "STS" / "STSBenchmark", "test")
sentences = list(dict.fromkeys(pairs.sentences1 + pairs.sentences2))
ours = SentenceEncoder.load(minilm_path(), max_length=256)
st = SentenceTransformer(minilm_path(), device="cpu")
st.max_seq_length = 256
ours.encode(sentences[:256], batch_size=128), st.encode(sentences[:256], batch_size=128)  # warm-up
lengths = np.array([len(x) for x in ours.tokenizer(sentences, truncation=True, max_length=256)["input_ids"]])


def padded(order, size=128):
    return sum(lengths[order[i : i + size]].max() * len(order[i : i + size]) for i in range(0, len(order), size))


by_chars = np.argsort([-len(s) for s in sentences], kind="stable")
by_tokens = np.argsort(-lengths, kind="stable")
print("real tokens", lengths.sum(), "padded, sorted by characters", padded(by_chars), "by tokens", padded(by_tokens))
for _ in range(2):
    start = time.perf_counter()
    ours.encode(sentences, batch_size=128, normalize=True)
    t_ours = time.perf_counter() - start
    start = time.perf_counter()
    st.encode(sentences, batch_size=128, normalize_embeddings=True)
    t_st = time.perf_counter() - start
    print(f"sentemb {len(sentences) / t_ours:.1f}/s  sentence-transformers {len(sentences) / t_st:.1f}/s")
with tp.profile(activities=[tp.ProfilerActivity.CPU]) as prof:
    ours.encode(sentences[:1024], batch_size=128)
print(prof.key_averages().table(sort_by="self_cpu_time_total", row_limit=15))
