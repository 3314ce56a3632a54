"""embetter.utils and embetter.grab: batching, the SQLite cache, grabbers."""
import multiprocessing as mp
import sqlite3

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from embetter.grab import ColumnGrabber, KeyGrabber
from embetter.utils import batched, cached, calc_distances


class CountingEncoder(TransformerMixin, BaseEstimator):
    """A real (tiny) text encoder that counts the texts it has encoded."""

    def __init__(self, dim=4):
        self.dim = dim
        self.seen = []

    def fit(self, X, y=None):
        return self

    def transform(self, X, y=None):
        self.seen.extend(X)
        return np.array([[len(x) + i for i in range(self.dim)] for x in X], dtype=np.float32)


def test_batched_splits_and_checks_n():
    assert list(batched(range(5), n=2)) == [(0, 1), (2, 3), (4,)]
    with pytest.raises(ValueError, match="at least one"):
        list(batched([1], n=0))


def test_cached_second_transform_does_not_run_encoder(tmp_path):
    enc = cached(str(tmp_path / "cache"), CountingEncoder())
    texts = ["a", "bb", "ccc", "a"]
    first = enc.transform(texts)
    assert enc.seen == texts
    second = enc.transform(texts)
    assert enc.seen == texts  # nothing new encoded
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float32 and first.shape == (4, 4)
    # Only new inputs reach the encoder.
    enc.transform(["a", "dddd"])
    assert enc.seen == texts + ["dddd"]


def test_cache_keys_include_encoder_identity(tmp_path):
    a = cached(str(tmp_path / "c"), CountingEncoder(dim=4))
    b = cached(str(tmp_path / "c"), CountingEncoder(dim=2))
    assert a.transform(["x"]).shape == (1, 4)
    assert b.transform(["x"]).shape == (1, 2)  # a different encoder does not reuse a's vectors
    con = sqlite3.connect(tmp_path / "c" / "embeddings.sqlite")
    assert con.execute("SELECT COUNT(DISTINCT encoder) FROM embeddings").fetchone()[0] == 2


def _writer(args):
    path, start = args
    enc = cached(path, CountingEncoder())
    out = enc.transform([f"text {i}" for i in range(start, start + 200)])
    return out.shape


def test_cache_is_safe_with_concurrent_writers(tmp_path):
    path = str(tmp_path / "shared-cache")
    with mp.get_context("spawn").Pool(4) as pool:
        shapes = pool.map(_writer, [(path, s) for s in (0, 100, 150, 300)])
    assert all(s == (200, 4) for s in shapes)
    con = sqlite3.connect(tmp_path / "shared-cache" / "embeddings.sqlite")
    assert con.execute("SELECT COUNT(*) FROM embeddings").fetchone()[0] == 500
    enc = cached(path, CountingEncoder())
    enc.transform([f"text {i}" for i in range(500)])
    assert enc.seen == []


def test_calc_distances_aggregates_per_input():
    enc = CountingEncoder(dim=2)
    d = calc_distances(["a", "bbbb"], ["a"], enc, metric="euclidean", aggregate=np.max)
    np.testing.assert_allclose(d, [0.0, np.sqrt(18)], rtol=1e-6)


def test_grabbers():
    df = pd.DataFrame({"text": ["x", "y"], "label": [0, 1]})
    assert ColumnGrabber("text").fit_transform(df) == ["x", "y"]
    with pytest.raises(KeyError, match="column 'nope'"):
        ColumnGrabber("nope").transform(df)
    assert KeyGrabber("text").transform([{"text": "a"}, {"text": "b"}]) == ["a", "b"]
    assert KeyGrabber("text").transform({"text": ["a"]}) == ["a"]
