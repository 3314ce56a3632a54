"""embetter.explore: argument handling (the page itself: tests/browser/test_explorer.py)."""
import json
import re

import numpy as np
import pandas as pd
import pytest

import embetter


def page_data(path):
    html = open(path, encoding="utf-8").read()
    return json.loads(re.search(r'<script type="application/json" id="embetter-data">(.*?)</script>', html, re.S).group(1))


def test_dataframe_with_labels_and_two_spaces(tmp_path):
    from embetter import _core

    rng = np.random.default_rng(0)
    X = rng.normal(size=(30, 5)).astype(np.float32)
    df = pd.DataFrame({"review": [f"text {i} </script>" for i in range(30)],
                       "label": ["pos" if i % 3 else None for i in range(30)]})
    out = embetter.explore(df, {"raw": X, "flat": X[:, :2]}, path=tmp_path / "p.html", text_col="review")
    assert out == str(tmp_path / "p.html")
    data = page_data(out)
    assert data["texts"] == df["review"].tolist()
    assert data["classes"] == ["pos"]
    assert data["label_index"] == [-1 if i % 3 == 0 else 0 for i in range(30)]
    assert [s["name"] for s in data["spaces"]] == ["raw", "flat"]
    raw = np.frombuffer(__import__("base64").b64decode(data["spaces"][0]["xy"]), dtype="<f4").reshape(30, 2)
    np.testing.assert_array_equal(raw, _core.pca_2d(X))  # wide arrays are projected as the CLI does
    flat = np.frombuffer(__import__("base64").b64decode(data["spaces"][1]["xy"]), dtype="<f4").reshape(30, 2)
    np.testing.assert_array_equal(flat, X[:, :2])  # two columns are drawn as they are


def test_pca_2d_matches_scikit_learn():
    from sklearn.decomposition import PCA

    from embetter import _core

    X = np.random.default_rng(1).normal(size=(50, 6)).astype(np.float32)
    np.testing.assert_allclose(_core.pca_2d(X), PCA(2).fit_transform(X.astype(np.float64)), atol=1e-5)


@pytest.mark.parametrize("call, message", [
    (lambda p: embetter.explore(["a", "b"], np.zeros((3, 2)), path=p), r"embeddings\['embeddings'\]: 3 rows for 2 texts"),
    (lambda p: embetter.explore(["a", "b"], {}, path=p), "embeddings: the dict is empty"),
    (lambda p: embetter.explore(["a", "b"], np.zeros((2, 2)), labels=["x"], path=p), "labels: 1 labels for 2 texts"),
    (lambda p: embetter.explore(["a", "b"], {"raw": np.array([[0, 1], [np.nan, 1]])}, path=p), "raw"),
    (lambda p: embetter.explore(["a", "b"], {"raw": np.zeros((2, 1))}, path=p), "at least 2 columns"),
    (lambda p: embetter.explore([], np.zeros((0, 2)), path=p), "data: no texts"),
    (lambda p: embetter.explore(pd.DataFrame({"t": ["a"]}), np.zeros((1, 2)), path=p), "text_col='text'"),
])
def test_bad_arguments_name_the_argument(tmp_path, call, message):
    with pytest.raises(ValueError, match=message):
        call(tmp_path / "p.html")
    assert not (tmp_path / "p.html").exists()
