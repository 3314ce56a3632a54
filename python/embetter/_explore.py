"""The explorer page: a self-contained HTML file for reading and labelling texts
by their place in one or more embedding spaces (see docs/explorer.md)."""
from __future__ import annotations

import os
from collections.abc import Mapping

import numpy as np

from ._validation import as_float32_matrix, as_text_list


def _column(frame, name, what):
    if name not in frame.columns:
        raise ValueError(f"{what}={name!r}: the DataFrame has no such column (columns: {list(frame.columns)})")
    return frame[name]


def _projector(projection):
    """A function from an n × d float32 array (d > 2) to its n × 2 projection."""
    if projection == "pca":
        from . import _core

        return _core.pca_2d
    if projection == "umap":
        try:
            import umap
        except ImportError:
            from .error import NotInstalled

            missing = NotInstalled('embetter.explore(projection="umap")', "umap")
            raise ModuleNotFoundError(missing.msg + "(it needs umap-learn: pip install umap-learn)") from None
        projection = umap.UMAP(n_components=2, random_state=0, n_jobs=1)  # a seed runs on one thread anyway
    if not hasattr(projection, "fit_transform"):
        raise ValueError(f"projection={projection!r}: expected 'pca', 'umap' or an estimator with fit_transform "
                         "(e.g. umap.UMAP(n_neighbors=30) or sklearn.manifold.TSNE())")
    return lambda X: np.ascontiguousarray(projection.fit_transform(X), dtype=np.float32)


def explore(data, embeddings, labels=None, path="explore.html", *, text_col="text", label_col="label",
            title="embetter explorer", projection="pca", serve=False, port=0):
    """Writes the explorer page and returns its path.

    Arguments:
        data: the texts, a list of str, or a pandas DataFrame whose ``text_col``
            holds them (and ``label_col``, when present and ``labels`` is None,
            their labels).
        embeddings: one array (n × d), or a dict of space name → array, e.g.
            ``{"raw": X, "tuned": tuner.transform(X)}``. An array of two columns
            is drawn as it is; a wider one is projected to 2-D by ``projection``.
        labels: n labels (None, NaN or "" = unlabelled), or None.
        path: the .html file to write (atomically: a temporary file is renamed over it).
        title: the page's title.
        projection: ``"pca"`` (the default: the same PCA as ``embetter
            explore`` on the command line), ``"umap"`` (umap-learn's
            ``UMAP(n_components=2, random_state=0)``, reproducible; ModuleNotFoundError when
            umap-learn is not installed), or any estimator with
            ``fit_transform`` to 2 columns, e.g. ``umap.UMAP(n_neighbors=30)``.
        serve: also serve the page on http://127.0.0.1:``port``/ (Python's
            http.server; the URL is printed) until Ctrl-C, then return.
        port: the port for ``serve``; 0 picks a free one.

    Example:
        >>> from embetter import explore
        >>> explore(df, {"raw": X, "tuned": tuner.transform(X)}, path="explore.html")
        'explore.html'

    The page's "Download labels (JSONL)" file has one line per text,
    ``{"text": ..., "label": ..., "row": i}``; ``embetter finetune --labels
    labels.jsonl --label-field label --row-field row`` trains on its labelled rows.
    """
    from . import _core

    project = _projector(projection)  # before any work: a missing umap-learn fails fast
    if hasattr(data, "columns"):  # a DataFrame
        texts = as_text_list(_column(data, text_col, "text_col"), "data")
        if labels is None and label_col is not None and label_col in data.columns:
            labels = data[label_col]
    else:
        texts = as_text_list(data, "data")
    n = len(texts)
    if n == 0:
        raise ValueError("data: no texts; expected one text per point")
    if labels is None:
        label_list = []
    else:
        label_list = ["" if value is None or (isinstance(value, float) and np.isnan(value)) else str(value)
                      for value in (labels.tolist() if hasattr(labels, "tolist") else list(labels))]
        if len(label_list) != n:
            raise ValueError(f"labels: {len(label_list)} labels for {n} texts; expected one per text")
    spaces = embeddings if isinstance(embeddings, Mapping) else {"embeddings": embeddings}
    if not spaces:
        raise ValueError("embeddings: the dict is empty; expected at least one space (name -> n x d array)")
    projected = []
    for name, X in spaces.items():
        X = as_float32_matrix(X, f"embeddings[{name!r}]")
        if X.shape[0] != n:
            raise ValueError(f"embeddings[{name!r}]: {X.shape[0]} rows for {n} texts; expected one row per text")
        if X.shape[1] > 2:
            X = project(X)
        elif X.shape[1] < 2:
            raise ValueError(f"embeddings[{name!r}]: shape {X.shape}; expected at least 2 columns")
        projected.append((str(name), X))
    path = os.fspath(path)
    _core.write_explorer(path, texts, label_list, projected, title)
    if serve:
        server = _page_server(path, port)
        print(f"serving {path} at http://127.0.0.1:{server.server_port}/ (Ctrl-C to stop)", flush=True)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.server_close()
    return path


def _page_server(path, port):
    """An http.server on 127.0.0.1:port whose only resource, /, is the page at `path` (read once)."""
    from http.server import BaseHTTPRequestHandler, HTTPServer

    with open(path, "rb") as f:
        page = f.read()

    class PageHandler(BaseHTTPRequestHandler):
        def do_GET(self):
            found = self.path.split("?", 1)[0] == "/"
            body = page if found else b"404: the explorer page is at /\n"
            self.send_response(200 if found else 404)
            self.send_header("Content-Type", ("text/html" if found else "text/plain") + "; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.send_header("Cache-Control", "no-store")
            self.end_headers()
            if self.command == "GET":
                self.wfile.write(body)

        do_HEAD = do_GET

        def log_message(self, format, *args):  # quiet: the page is the only thing served
            pass

    return HTTPServer(("127.0.0.1", port), PageHandler)
