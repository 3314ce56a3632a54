"""Scale-out on a `distributed` cluster, as scikit-learn users do it: a fitted
pipeline (texts → SentenceEncoder → FeedForwardTuner) applied to a dask
dataframe with map_partitions and with dask_ml's ParallelPostFit, on two worker
processes. Oracle: the same pipeline in this process; rows must be equal bit for
bit and in order, also when a worker process dies mid-computation and Dask
reruns its tasks. See docs/scale-out.md."""
import json
import logging
import os
import re
import signal

import numpy as np
import pandas as pd
import pytest
from conftest import SHARED, require, require_module
from sklearn.pipeline import make_pipeline

from embetter.finetune import FeedForwardTuner
from embetter.grab import ColumnGrabber
from embetter.text import BytePairEncoder, LiteTextEncoder, SentenceEncoder

dd = require_module("dask.dataframe")
distributed = require_module("distributed")
wrappers = require_module("dask_ml.wrappers")

N_TEXTS = 20_000
N_PARTITIONS = 8
TIMEOUT_S = 120  # a hung cluster fails the test instead of hanging it


def imdb_rows():
    path = require(SHARED / "data" / "imdb-5000.jsonl")
    with open(path, encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def sentences(rows, n):
    """The first n distinct sentences of the reviews, in order (short texts:
    20,000 of them encode in seconds with a tiny model)."""
    seen = {}
    for row in rows:
        for s in re.split(r"(?<=[.!?])\s+", row["text"].replace("<br />", " ")):
            if s.strip():
                seen.setdefault(s, None)
                if len(seen) == n:
                    return list(seen)
    raise AssertionError(f"only {len(seen)} distinct sentences, wanted {n}")


def embed(part, pipe):
    """One partition through the pipeline, as a frame on the partition's index
    (so order and completeness can be checked on the result)."""
    out = pipe.transform(part)
    return pd.DataFrame(out, index=part.index, columns=[f"d{i}" for i in range(out.shape[1])])


def meta_of(pipe, df):
    """map_partitions' `meta`, from one real row: without it Dask guesses the
    output by running the pipeline on made-up rows, whose text column holds
    NA (pandas' string dtype), which the encoders rightly refuse."""
    return embed(df.iloc[:1], pipe).iloc[:0]


def embed_killing_once(part, pipe, marker, victim, partition_info=None):
    """embed(), but the first attempt at partition `victim` kills its own worker
    process (SIGKILL: no cleanup, as the OOM killer would). The marker file makes
    the retry, on whichever worker gets it, run normally."""
    if partition_info["number"] == victim and not os.path.exists(marker):
        open(marker, "w").close()
        os.kill(os.getpid(), signal.SIGKILL)
    return embed(part, pipe)


def count_model_loads():
    """On a worker: empty the per-process model cache and count the loads from now on."""
    from embetter import _core
    from embetter.text import _sbert

    _sbert._LOADED.clear()
    real = getattr(_core.SentenceEncoder, "real", _core.SentenceEncoder)

    def counting(*args, **kwargs):
        counting.loads += 1
        return real(*args, **kwargs)

    counting.loads, counting.real = 0, real
    _core.SentenceEncoder = counting


def model_loads():
    from embetter import _core

    return getattr(_core.SentenceEncoder, "loads", None)


@pytest.fixture(scope="module")
def client():
    cluster = distributed.LocalCluster(
        n_workers=2,
        threads_per_worker=1,
        processes=True,
        memory_limit="2GiB",  # per worker; the tiny model and a partition need ~200 MB
        dashboard_address=None,
        silence_logs=logging.CRITICAL,  # the killed worker is expected, not news
    )
    c = distributed.Client(cluster, timeout="60s")
    try:
        yield c
    finally:
        c.close()
        cluster.close()


@pytest.fixture(scope="module")
def data():
    rows = imdb_rows()
    texts = sentences(rows, N_TEXTS)
    labelled = [r for r in rows if r["label"] == "pos"][:100] + [r for r in rows if r["label"] == "neg"][:100]
    folder = require(SHARED / "fixtures" / "sbert" / "tiny-bert")
    # num_threads=1: the encoder's own threads would oversubscribe a worker that
    # has one core; the embeddings are the same whatever the thread count.
    # max_seq_length=32 (most sentences are shorter) trims the long tail so
    # that the file runs in about a minute on two busy cores.
    pipe = make_pipeline(
        ColumnGrabber("text"),
        SentenceEncoder(str(folder), num_threads=1, max_seq_length=32),
        FeedForwardTuner(hidden_dim=16, n_epochs=20, random_state=0),
    ).fit(pd.DataFrame({"text": [r["text"] for r in labelled]}), [r["label"] for r in labelled])
    df = pd.DataFrame({"text": texts})
    return pipe, df, pipe.transform(df)


def check_rows(got, want, n):
    got = got if isinstance(got, np.ndarray) else got.to_numpy()
    assert got.shape == want.shape == (n, want.shape[1])
    assert got.dtype == want.dtype == np.float32
    assert np.array_equal(got, want)


def test_map_partitions_matches_one_process_and_loads_the_model_once_per_worker(client, data):
    pipe, df, want = data
    client.run(count_model_loads)
    ddf = dd.from_pandas(df, npartitions=N_PARTITIONS)
    got = client.compute(ddf.map_partitions(embed, pipe, meta=meta_of(pipe, df))).result(timeout=TIMEOUT_S)
    assert got.index.equals(df.index)  # every row once, in order
    check_rows(got, want, N_TEXTS)
    # Every partition unpickles its own pipeline; the SentenceEncoder inside
    # pickles as its folder and settings, and the process-wide cache loads the
    # weights once per worker process, not once per partition.
    loads = client.run(model_loads)
    assert sorted(loads.values()) == [1, 1], loads


def test_parallel_post_fit_matches_one_process(client, data):
    pipe, df, want = data
    ddf = dd.from_pandas(df, npartitions=N_PARTITIONS)
    # transform_meta: as meta_of() above, the output's type without a guess.
    ppf = wrappers.ParallelPostFit(estimator=pipe, transform_meta=want[:0])
    got = client.compute(ppf.transform(ddf)).result(timeout=TIMEOUT_S)
    check_rows(np.asarray(got), want, N_TEXTS)


@pytest.mark.parametrize("kind", ["lite", "bpemb"])
def test_lite_and_static_encoders_match_one_process(client, data, kind):
    """A fitted LiteTextEncoder pickles as its model's bytes (its fitted state);
    a BytePairEncoder as its two file names, loaded again by each task (small
    files; no cache for them)."""
    _, df, _ = data
    if kind == "lite":
        encoder = LiteTextEncoder(dim=16, random_state=0)
    else:
        encoder = BytePairEncoder(model_file=str(require(SHARED / "data" / "en.wiki.bpe.vs1000.model")),
                                  vectors_file=str(require(SHARED / "data" / "en.wiki.bpe.vs1000.d25.w2v.bin")))
    pipe = make_pipeline(ColumnGrabber("text"), encoder).fit(df.iloc[:2000])
    ddf = dd.from_pandas(df, npartitions=N_PARTITIONS)
    got = client.compute(ddf.map_partitions(embed, pipe, meta=meta_of(pipe, df))).result(timeout=TIMEOUT_S)
    assert got.index.equals(df.index)
    check_rows(got, pipe.transform(df), N_TEXTS)


def test_a_killed_worker_is_replaced_and_its_partitions_rerun(client, data, tmp_path):
    pipe, df, want = data
    # A quarter of the rows (time): the point is the rerun, not the volume.
    df, want = df.iloc[: N_TEXTS // 4], want[: N_TEXTS // 4]
    marker = tmp_path / "killed-once"
    workers_before = set(client.scheduler_info()["workers"])
    ddf = dd.from_pandas(df, npartitions=N_PARTITIONS)
    victim = N_PARTITIONS // 2
    got = client.compute(
        ddf.map_partitions(embed_killing_once, pipe, str(marker), victim, meta=meta_of(pipe, df))
    ).result(timeout=TIMEOUT_S)
    assert marker.exists()  # a worker did die
    assert got.index.equals(df.index)  # no lost or duplicated rows
    check_rows(got, want, len(df))
    client.wait_for_workers(2, timeout=TIMEOUT_S)  # the nanny started a new worker process
    assert set(client.scheduler_info()["workers"]) != workers_before
