"""Helpers: the embedding cache (diskcache, as the original), batching of streams, distances to anchors."""
from __future__ import annotations

from itertools import islice
from typing import Callable, Iterable

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.metrics import pairwise_distances

_MISSING = object()


def cached(name: str, pipeline: BaseEstimator):
    """Keeps the embeddings a pipeline computes in a `diskcache
    <https://grantjenks.com/docs/diskcache/>`_ ``Cache(name)``, so that a second
    ``transform`` of the same inputs does not run the encoder again.

    The cache is the original embetter's, key for key: each input (a text) is
    a key and its embedding (a numpy array) the value. A cache written by the
    original's ``cached`` is read here and the reverse, and the embeddings can
    be read directly::

        from diskcache import Cache
        Cache("sentence-enc")["some text"]   # the vector, if it was computed

    Unlike the original, only the inputs not yet in the cache go to the
    encoder (each once, in their order), and one transform's new entries are
    written in one transaction; several processes may share a cache. A cache
    name belongs to one encoder: the inputs are the keys, so a different
    encoder would read the first one's vectors (a width that does not match
    what the encoder now computes raises ValueError).

    Args:
        name: the cache folder (diskcache's directory).
        pipeline: the component or pipeline whose ``transform`` is cached.

    Returns:
        The same pipeline object, with ``transform`` wrapped.
    """
    from diskcache import Cache

    cache = Cache(name)
    original = pipeline.transform

    def transform(X, y=None):
        items = X.tolist() if hasattr(X, "tolist") else list(X)
        found = [cache.get(x, default=_MISSING) for x in items]
        missing = list(dict.fromkeys(x for x, v in zip(items, found) if v is _MISSING))
        computed = {}
        if missing:
            out = np.asarray(original(missing))
            computed = dict(zip(missing, out))
            widths = {np.shape(v) for v in found if v is not _MISSING}
            if widths and widths != {out.shape[1:]}:
                raise ValueError(
                    f"cached({name!r}): the cache holds vectors of shape {sorted(widths)}, but the encoder now "
                    f"gives {out.shape[1:]}; a cache name belongs to one encoder (use another name, or clear it)"
                )
            with cache.transact():  # all of this call's new entries, or none
                for text, vector in computed.items():
                    cache.set(text, vector)
        rows = [computed[x] if v is _MISSING else v for x, v in zip(items, found)]
        if not rows:
            return np.zeros((0, 0), dtype=np.float32)
        return np.stack(rows)

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
