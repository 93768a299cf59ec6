"""Every reader, fed random bytes and malformed rows: parsed, or rejected with the documented error
(a ValueError -- DataFormatError for format faults -- whose message names the file), never another crash."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from sentemb.data.clustering_readers import read_stc
from sentemb.data.intent_readers import read_banking77, read_clinc150, read_snips
from sentemb.data.labelled import read_labelled_csv
from sentemb.data.nli import read_snli, read_triplet_csv
from sentemb.data.scored_pairs import read_pair_csv
from sentemb.data.sts_readers import read_sick, read_sts_year, read_stsb
from sentemb.data.text_reader import read_text_lines
from sentemb.data.zh_readers import read_zh_pairs

GOOD_ROWS = {
    "text": "a sentence\n",
    "stsb": "main-captions\tMSRvid\t2012test\t0001\t5.000\tA man.\tA man.\n",
    "sick": "pair_ID\tsentence_A\tsentence_B\trelatedness_score\tentailment_judgment\n1\ta\tb\t4.5\tNEUTRAL\n",
    "zh": "句子一\t句子二\t1\n",
    "csv_labelled": "text,label\nhello there,greet\n",
    "triplet": "sent0,sent1,hard_neg\na,b,c\n",
    "pairs": "sentence1,sentence2,label\na,b,1\n",
    "banking": "text,category\nhello,greet\n",
}


def mutations(seed: int, good: str, n: int) -> list[bytes]:
    """Random bytes, truncations, extra/missing separators, non-numbers, invalid UTF-8 around a good row."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        kind = i % 6
        if kind == 0:
            out.append(bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 200))))
        elif kind == 1:
            out.append(good.encode()[: rng.randint(0, len(good.encode()))])
        elif kind == 2:
            out.append(good.replace("\t", "\t\t", 1).replace(",", ",,", 1).encode())
        elif kind == 3:
            out.append(good.replace("\t", " ", 1).replace(",", " ", 1).encode())
        elif kind == 4:
            out.append(good.replace("5.000", "five").replace("4.5", "x").replace("\t1\n", "\tyes\n").encode())
        else:
            b = bytearray(good.encode())
            for _ in range(rng.randint(1, 4)):
                b.insert(rng.randint(0, len(b)), rng.choice([0xFF, 0xC3, 0x80, 0xFE]))
            out.append(bytes(b))
    return out


def check(call, path: Path) -> None:
    try:
        call()
    except ValueError as err:  # DataFormatError is a ValueError
        assert not isinstance(err, UnicodeDecodeError | json.JSONDecodeError), f"undocumented {type(err)}: {err}"
        assert str(path) in str(err) or path.name in str(err), f"message does not name the file: {err}"


def cases(tmp: Path):
    """(name, good row, writer(bytes) -> path, reader call)."""
    def file(name):
        def write(data):
            (tmp / name).write_bytes(data)
            return tmp / name

        return write

    def stsb(data):
        (tmp / "sts-dev.csv").write_bytes(data)
        return tmp / "sts-dev.csv"

    def year(data):
        d = tmp / "STS12-en-test" / "test-gold"
        d.mkdir(parents=True, exist_ok=True)
        for sub in ("MSRpar", "MSRvid", "SMTeuroparl", "surprise.OnWN", "surprise.SMTnews"):
            (d / f"STS.input.{sub}.txt").write_text("a\tb\n")
            (d / f"STS.gs.{sub}.txt").write_text("3.0\n")
        (d / "STS.gs.MSRpar.txt").write_bytes(data)
        return d / "STS.gs.MSRpar.txt"

    def snips(data):
        d = tmp / "snips" / "train"
        d.mkdir(parents=True, exist_ok=True)
        (d / "seq.in").write_bytes(data)
        (d / "label").write_text("PlayMusic\n")
        return d / "seq.in"

    def stc(data):
        (tmp / "en" / "stc").mkdir(parents=True, exist_ok=True)
        (tmp / "en" / "stc" / "StackOverflow.txt").write_bytes(data)
        (tmp / "en" / "stc" / "StackOverflow_gnd.txt").write_text("1\n")
        return tmp / "en" / "stc" / "StackOverflow.txt"

    def snli(data):
        for name in ("s1.dev", "s2.dev", "labels.dev"):
            (tmp / name).write_text("a\n" if name != "labels.dev" else "entailment\n")
        (tmp / "s1.dev").write_bytes(data)
        return tmp / "s1.dev"

    return [
        ("text", GOOD_ROWS["text"], file("t.txt"), lambda p: read_text_lines(p)),
        ("stsb", GOOD_ROWS["stsb"], stsb, lambda p: read_stsb(tmp, "dev")),
        ("sts_year", "3.0\n", year, lambda p: read_sts_year(tmp / "STS12-en-test", "STS12")),
        ("sick", GOOD_ROWS["sick"], file("SICK.txt"), lambda p: read_sick(p)),
        ("zh", GOOD_ROWS["zh"], file("zh.data"), lambda p: read_zh_pairs(p)),
        ("labelled_csv", GOOD_ROWS["csv_labelled"], file("l.csv"), lambda p: read_labelled_csv(p)),
        ("triplet_csv", GOOD_ROWS["triplet"], file("tr.csv"), lambda p: read_triplet_csv(p)),
        ("pair_csv", GOOD_ROWS["pairs"], file("pa.csv"), lambda p: read_pair_csv(p)),
        ("banking77", GOOD_ROWS["banking"], file("train.csv"), lambda p: read_banking77(tmp, "train")),
        ("clinc150", '{"train": [["hi", "greet"]]}', file("c.json"), lambda p: read_clinc150(p, "train")),
        ("snips", "play a song\n", snips, lambda p: read_snips(tmp / "snips", "train")),
        ("stc", "a text\n", stc, lambda p: read_stc(tmp / "en" / "stc", "StackOverflow")),
        ("snli", "a premise\n", snli, lambda p: read_snli(tmp, ("dev",))),
    ]


@pytest.mark.parametrize("index", range(13))
def test_reader_survives_fuzz(index, tmp_path):
    name, good, write, read = cases(tmp_path)[index]
    for data in mutations(index, good, 60):
        path = write(data)
        check(lambda p=path: read(p), path)
