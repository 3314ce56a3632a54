"""Helpers: a SQLite embedding cache, batching of streams, distances to anchors."""
from __future__ import annotations

import hashlib
import os
import sqlite3
from itertools import islice
from typing import Callable, Iterable

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import pairwise_distances

_SCHEMA = """
CREATE TABLE IF NOT EXISTS embeddings (
    encoder TEXT NOT NULL,
    input   BLOB NOT NULL,
    dim     INTEGER NOT NULL,
    vector  BLOB NOT NULL,
    PRIMARY KEY (encoder, input)
) WITHOUT ROWID
"""


def _encoder_identity(pipeline) -> str:
    """A stable name for what the pipeline computes: its class and parameters,
    plus the learnt state for components that expose ``_state_digest``."""
    h = hashlib.sha256()
    h.update(f"{type(pipeline).__module__}.{type(pipeline).__qualname__}".encode())
    if isinstance(pipeline, BaseEstimator):
        h.update(repr(sorted((k, repr(v)) for k, v in pipeline.get_params(deep=True).items())).encode())
    steps = getattr(pipeline, "steps", None) or [(None, pipeline)]
    for _, step in steps:
        digest = getattr(step, "_state_digest", None)
        if callable(digest):
            h.update(digest())
    return h.hexdigest()


def _key(x) -> bytes:
    if isinstance(x, str):
        return b"s" + x.encode("utf-8", "surrogatepass")
    if isinstance(x, (bytes, bytearray)):
        return b"b" + bytes(x)
    return b"r" + repr(x).encode()


class _EmbeddingStore:
    """Embeddings in one SQLite file, shared safely by several processes (WAL, busy timeout)."""

    def __init__(self, path: str):
        self.path = path

    def _connect(self) -> sqlite3.Connection:
        con = sqlite3.connect(self.path, timeout=60.0)
        con.execute("PRAGMA journal_mode=WAL")
        con.execute("PRAGMA synchronous=NORMAL")
        con.execute(_SCHEMA)
        return con

    def get_many(self, encoder: str, keys: list[bytes]) -> dict[bytes, np.ndarray]:
        found: dict[bytes, np.ndarray] = {}
        con = self._connect()
        try:
            for start in range(0, len(keys), 500):
                chunk = list(dict.fromkeys(keys[start : start + 500]))
                marks = ",".join("?" * len(chunk))
                rows = con.execute(
                    f"SELECT input, dim, vector FROM embeddings WHERE encoder = ? AND input IN ({marks})",
                    [encoder, *chunk],
                )
                for key, dim, blob in rows:
                    found[bytes(key)] = np.frombuffer(blob, dtype=np.float32).reshape(dim)
        finally:
            con.close()
        return found

    def put_many(self, encoder: str, items: list[tuple[bytes, np.ndarray]]) -> None:
        con = self._connect()
        try:
            with con:  # one transaction: all rows or none
                con.executemany(
                    "INSERT OR IGNORE INTO embeddings (encoder, input, dim, vector) VALUES (?, ?, ?, ?)",
                    [(encoder, k, int(v.size), np.ascontiguousarray(v, dtype=np.float32).tobytes()) for k, v in items],
                )
        finally:
            con.close()


def cached(name: str, pipeline: BaseEstimator):
    """Keeps the embeddings a pipeline computes in a SQLite database, so that a
    second ``transform`` of the same inputs does not run the encoder again.

    The database lives at ``<name>/embeddings.sqlite`` (``name`` is a folder, as
    in the original). Entries are keyed by the encoder's identity (its class,
    parameters and learnt state) and the input, so two different encoders can
    share one cache. Several processes may read and write it at once.

    Args:
        name: the cache folder.
        pipeline: the component or pipeline whose ``transform`` is cached.

    Returns:
        The same pipeline object, with ``transform`` wrapped.
    """
    os.makedirs(name, exist_ok=True)
    store = _EmbeddingStore(os.path.join(name, "embeddings.sqlite"))
    original = pipeline.transform

    def transform(X, y=None):
        items = list(X)
        encoder = _encoder_identity(pipeline)
        keys = [_key(x) for x in items]
        hits = store.get_many(encoder, keys)
        missing = [i for i, k in enumerate(keys) if k not in hits]
        computed: dict[bytes, np.ndarray] = {}
        if missing:
            out = np.asarray(original([items[i] for i in missing]), dtype=np.float32)
            computed = {keys[i]: out[j] for j, i in enumerate(missing)}
            store.put_many(encoder, list(computed.items()))
        rows = [hits[k] if k in hits else computed[k] for k in keys]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(rows).astype(np.float32, copy=False)

    pipeline.transform = transform
    return pipeline


def batched(iterable: Iterable, n: int = 64):
    """Yields tuples of ``n`` items (the last may be shorter).

    Args:
        iterable: the input stream.
        n: the batch size, at least 1.
    """
    if n < 1:
        raise ValueError("n must be at least one")
    it = iter(iterable)
    while batch := tuple(islice(it, n)):
        yield batch


def calc_distances(
    inputs,
    anchors,
    pipeline,
    anchor_pipeline=None,
    metric: str = "cosine",
    aggregate: Callable = np.max,
    n_jobs=None,
):
    """Distance of every input to a set of anchors, aggregated per input.

    Args:
        inputs: what to score.
        anchors: what to compare against.
        pipeline: embeds the inputs (and the anchors unless ``anchor_pipeline`` is given).
        anchor_pipeline: embeds the anchors, when they need a different pipeline.
        metric: any metric of ``sklearn.metrics.pairwise_distances``.
        aggregate: reduces the distances to the anchors along ``axis=1`` (``np.max``, ``np.mean``, ...).
        n_jobs: passed to ``pairwise_distances``.
    """
    X_input = pipeline.transform(inputs)
    X_anchors = (anchor_pipeline or pipeline).transform(anchors)
    X_dist = pairwise_distances(X_input, X_anchors, metric=metric, n_jobs=n_jobs)
    return aggregate(X_dist, axis=1)
