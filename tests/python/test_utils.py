"""embetter.utils and embetter.grab: batching, the embedding cache, grabbers."""
import multiprocessing as mp
import os
import subprocess
import sys
import textwrap

import numpy as np
import pandas as pd
import pytest
from sklearn.base import BaseEstimator, TransformerMixin

from conftest import ROOT, require
from embetter.grab import ColumnGrabber, KeyGrabber
from embetter.utils import batched, cached, calc_distances

ORIGINAL = ROOT / ".venv" / "reference-embetter"


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
    assert enc.seen == ["a", "bb", "ccc"]  # each missing text once, in order
    second = enc.transform(texts)
    assert enc.seen == ["a", "bb", "ccc"]  # nothing new encoded
    np.testing.assert_array_equal(first, second)
    assert first.dtype == np.float32 and first.shape == (4, 4)
    # Only new inputs reach the encoder.
    enc.transform(pd.Series(["a", "dddd"]))
    assert enc.seen == ["a", "bb", "ccc", "dddd"]


def test_cache_reads_directly_as_the_originals_docs_say(tmp_path):
    from diskcache import Cache

    name = str(tmp_path / "sentence-enc")
    out = cached(name, CountingEncoder()).transform(["this is a text", "another"])
    np.testing.assert_array_equal(Cache(name)["this is a text"], out[0])
    assert set(Cache(name)) == {"this is a text", "another"}


def test_a_cache_of_another_width_is_refused(tmp_path):
    cached(str(tmp_path / "c"), CountingEncoder(dim=4)).transform(["x"])
    with pytest.raises(ValueError, match="belongs to one encoder"):
        cached(str(tmp_path / "c"), CountingEncoder(dim=2)).transform(["x", "y"])


def _writer(args):
    path, start = args
    enc = cached(path, CountingEncoder())
    out = enc.transform([f"text {i}" for i in range(start, start + 200)])
    return out.shape


def test_cache_is_safe_with_concurrent_writers(tmp_path):
    from diskcache import Cache

    path = str(tmp_path / "shared-cache")
    with mp.get_context("spawn").Pool(4) as pool:
        shapes = pool.map(_writer, [(path, s) for s in (0, 100, 150, 300)])
    assert all(s == (200, 4) for s in shapes)
    assert len(Cache(path)) == 500  # 4 writers of overlapping texts lost no entry
    enc = cached(path, CountingEncoder())
    enc.transform([f"text {i}" for i in range(500)])
    assert enc.seen == []


# The original's cached, run from its source with its own imports, on an
# encoder both sides have (scikit-learn's FunctionTransformer).
ORIGINAL_CACHED = textwrap.dedent(
    """
    import sys, numpy as np
    from sklearn.preprocessing import FunctionTransformer
    from embetter.utils import cached
    name, mode = sys.argv[1], sys.argv[2]
    texts = [f"text {i}" for i in range(50)]
    def vectors(X):
        # The original calls the encoder even when every text was in the cache, with none.
        if mode == "read" and len(X):
            raise SystemExit("the original's cached ran the encoder on " + repr(list(X)[:3]))
        return np.array([[len(x), x.count("1"), 0.5] for x in X], dtype=np.float32)
    out = cached(name, FunctionTransformer(vectors)).transform(texts)
    np.save(sys.argv[3], out)
    """
)


def _vectors(X):
    return np.array([[len(x), x.count("1"), 0.5] for x in X], dtype=np.float32)


def _refuse(X):
    raise AssertionError(f"our cached ran the encoder on {list(X)[:3]}")


def run_original_cached(name, mode, out):
    require(ORIGINAL / "embetter" / "utils.py")
    env = dict(os.environ, PYTHONPATH=str(ORIGINAL))
    subprocess.run([sys.executable, "-c", ORIGINAL_CACHED, name, mode, str(out)], env=env, check=True, cwd=ROOT)
    return np.load(out)


def test_a_cache_written_by_the_original_is_read_and_the_reverse(tmp_path):
    from sklearn.preprocessing import FunctionTransformer

    texts = [f"text {i}" for i in range(50)]
    by_original = str(tmp_path / "by-original")
    theirs = run_original_cached(by_original, "write", tmp_path / "theirs.npy")
    ours = cached(by_original, FunctionTransformer(_refuse)).transform(texts)
    np.testing.assert_array_equal(ours, theirs)

    by_us = str(tmp_path / "by-us")
    ours = cached(by_us, FunctionTransformer(_vectors)).transform(texts)
    theirs = run_original_cached(by_us, "read", tmp_path / "theirs-read.npy")
    np.testing.assert_array_equal(theirs, ours)


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


def test_not_installed_names_the_extra_to_install():
    from embetter.error import NotInstalled

    missing = NotInstalled("KerasNLPEncoder", "keras_nlp")
    with pytest.raises(ModuleNotFoundError, match=r"pip install embetter\[keras_nlp\]"):
        missing("bert_tiny_en_uncased")
    with pytest.raises(ModuleNotFoundError, match="In order to use KerasNLPEncoder"):
        missing.transform


def test_keras_nlp_encoder_is_not_installed_exactly_when_keras_nlp_is_missing():
    import importlib.util

    from embetter.error import NotInstalled
    from embetter.text import KerasNLPEncoder

    if importlib.util.find_spec("keras_nlp") is not None:  # the optional extra is there: the real class
        assert KerasNLPEncoder.__module__ == "embetter.text._keras"
        return
    assert isinstance(KerasNLPEncoder, NotInstalled)
    with pytest.raises(ModuleNotFoundError, match=r"embetter\[keras_nlp\]"):
        KerasNLPEncoder()
