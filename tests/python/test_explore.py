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


# ---- projection="umap" | "pca" | an estimator ------------------------------------------


def test_projection_takes_an_estimator_and_rejects_unknown_names(tmp_path):
    from sklearn.decomposition import PCA

    X = np.random.default_rng(2).normal(size=(40, 6)).astype(np.float32)
    out = embetter.explore([f"t{i}" for i in range(40)], X, path=tmp_path / "p.html", projection=PCA(2, random_state=0))
    xy = np.frombuffer(__import__("base64").b64decode(page_data(out)["spaces"][0]["xy"]), dtype="<f4").reshape(40, 2)
    np.testing.assert_allclose(xy, PCA(2, random_state=0).fit_transform(X), atol=1e-5)
    with pytest.raises(ValueError, match="projection='tsne': expected 'pca', 'umap' or an estimator"):
        embetter.explore(["a", "b"], np.zeros((2, 3)), path=tmp_path / "q.html", projection="tsne")
    assert not (tmp_path / "q.html").exists()


def test_umap_without_umap_learn_says_what_to_install(tmp_path, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "umap", None)  # `import umap` raises ImportError, as when not installed
    with pytest.raises(ModuleNotFoundError, match=r"(?s)pip install embetter\[umap\].*pip install umap-learn"):
        embetter.explore(["a", "b", "c"], np.eye(3), path=tmp_path / "p.html", projection="umap")
    assert not (tmp_path / "p.html").exists()


def test_umap_projection(tmp_path):
    pytest.importorskip("umap", reason="umap-learn is not installed (the error path is tested above)")
    rng = np.random.default_rng(3)
    centres = rng.normal(scale=5, size=(3, 8))
    X = (centres[np.arange(60) % 3] + rng.normal(size=(60, 8))).astype(np.float32)
    out = embetter.explore([f"t{i}" for i in range(60)], {"raw": X, "flat": X[:, :2]}, path=tmp_path / "p.html",
                           projection="umap")
    spaces = page_data(out)["spaces"]
    xy = np.frombuffer(__import__("base64").b64decode(spaces[0]["xy"]), dtype="<f4").reshape(60, 2)
    assert np.isfinite(xy).all() and not np.allclose(xy, _pca(X), atol=1e-3)
    # UMAP keeps the three clusters apart: each point's nearest neighbour is in its own cluster.
    d = np.linalg.norm(xy[:, None] - xy[None], axis=2) + np.eye(60) * 1e9
    assert (d.argmin(axis=1) % 3 == np.arange(60) % 3).all()
    flat = np.frombuffer(__import__("base64").b64decode(spaces[1]["xy"]), dtype="<f4").reshape(60, 2)
    np.testing.assert_array_equal(flat, X[:, :2])  # two columns are still drawn as they are


def _pca(X):
    from embetter import _core

    return _core.pca_2d(X)


# ---- serve=True: a real GET on localhost ------------------------------------------------


def test_serve_answers_get_until_ctrl_c(tmp_path):
    import os
    import signal
    import subprocess
    import sys
    import urllib.error
    import urllib.request

    page = tmp_path / "p.html"
    # A process started in the background by a non-interactive shell (as a CI
    # runner may start the suite) inherits SIGINT ignored, and Python then
    # keeps ignoring it; restore what a terminal's Ctrl-C meets.
    script = ("import signal, numpy as np, embetter; signal.signal(signal.SIGINT, signal.default_int_handler); "
              f"embetter.explore(['a <b>', 'c'], np.eye(2), path={str(page)!r}, serve=True, port=0)")
    env = dict(os.environ, PYTHONPATH=os.path.dirname(os.path.dirname(embetter.__file__)))
    proc = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            text=True, env=env)
    try:
        line = proc.stdout.readline()
        assert line.startswith(f"serving {page} at http://127.0.0.1:") and line.endswith("/ (Ctrl-C to stop)\n"), (
            line + proc.stderr.read() if not line else line)
        url = line.split(" at ", 1)[1].split(" ", 1)[0]
        with urllib.request.urlopen(url, timeout=30) as response:
            assert response.status == 200
            assert response.headers["Content-Type"] == "text/html; charset=utf-8"
            assert response.read() == page.read_bytes()
        with pytest.raises(urllib.error.HTTPError, match="404"):
            urllib.request.urlopen(url + "favicon.ico", timeout=30)
        proc.send_signal(signal.SIGINT)
        assert proc.wait(timeout=30) == 0, proc.stderr.read()
    finally:
        proc.kill()
        proc.wait()


# ---- embetter.finetune.read_labels: the page's download as training data -----------------


def page_jsonl(records):
    """The page's labelsJsonl(): JSON.stringify({text, label, row}) per row, "\\n" after each."""
    return "".join(json.dumps({"text": t, "label": l, "row": r}, separators=(",", ":"), ensure_ascii=False) + "\n"
                   for t, l, r in records)


def page_csv(records):
    """The page's labelsCsv(): a header, every text and label quoted, CRLF line ends."""
    quote = lambda s: '"' + s.replace('"', '""') + '"'  # noqa: E731
    return "".join(line + "\r\n" for line in ["text,label,row"] + [f"{quote(t)},{quote(l)},{r}" for t, l, r in records])


RECORDS = [("A fine film, \"really\".\nTwo lines.", "pos", 0), ("Dull.", "", 1), ("Ünïcode ✓", "neg", 2),
           ("<script>x</script>", "pos", 3), ("", "", 4)]


@pytest.mark.parametrize("name, content", [("labels.jsonl", page_jsonl(RECORDS)), ("labels.csv", page_csv(RECORDS))])
def test_read_labels_takes_the_pages_download(tmp_path, name, content):
    from embetter.finetune import FeedForwardTuner, read_labels

    path = tmp_path / name
    path.write_bytes(content.encode("utf-8"))  # bytes: the CSV's CRLF as the browser writes it
    X = np.arange(10, dtype=np.float32).reshape(5, 2)
    X_labelled, y = read_labels(path, X)
    np.testing.assert_array_equal(X_labelled, X[[0, 2, 3]])
    assert y.tolist() == ["pos", "neg", "pos"]
    tuner = FeedForwardTuner(hidden_dim=3, n_epochs=2, random_state=0).fit(X_labelled, y)
    assert tuner.transform(X).shape == (5, 3)


@pytest.mark.parametrize("name, content, message", [
    ("l.jsonl", page_jsonl([("a", "x", 0), ("b", "y", 5)]), r"l\.jsonl:2: 'row' 5 is past the last row of X \(5 rows\)"),
    ("l.jsonl", page_jsonl([("a", "x", 1), ("b", "y", 1)]), r"l\.jsonl:2: row 1 is labelled twice \(first at line 1\)"),
    ("l.jsonl", page_jsonl([("a", "", 0), ("b", "", 1)]), r"l\.jsonl: no line has a label"),
    ("l.jsonl", '{"text":"a","label":"x","row":0}\n{"text": oops}\n', r"l\.jsonl:2: not valid JSON"),
    ("l.jsonl", '[1, 2]\n', r"l\.jsonl:1: expected a JSON object, got list"),
    ("l.jsonl", '{"text":"a","label":"x"}\n', r"l\.jsonl:1: no field 'row'"),
    ("l.jsonl", '{"text":"a","row":0}\n', r"l\.jsonl:1: no field 'label'"),
    ("l.jsonl", '{"label":"x","row":-1}\n', r"l\.jsonl:1: field 'row' is -1; expected a row index"),
    ("l.jsonl", '{"label":"x","row":1.5}\n', r"l\.jsonl:1: field 'row' is 1.5"),
    ("l.jsonl", '{"label":["x"],"row":1}\n', r"l\.jsonl:1: field 'label' is list; expected a string label"),
    ("l.csv", 'text,label,row\r\n"a","x",0\r\n"b","y",two\r\n', r"l\.csv:3: field 'row' is 'two'"),
    ("l.csv", 'text,label,row\r\n"a","x",0,extra\r\n', r"l\.csv:2: 3 columns expected"),
    ("l.csv", 'text,label\r\n"a","x"\r\n', r"l\.csv:1: the header \['text', 'label'\] has no column 'row'"),
    ("l.txt", "x\n", r"l\.txt: expected a \.jsonl or \.csv file"),
])
def test_read_labels_errors_name_the_file_and_line(tmp_path, name, content, message):
    from embetter.finetune import read_labels

    (tmp_path / name).write_text(content, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        read_labels(tmp_path / name, np.zeros((5, 2)))
