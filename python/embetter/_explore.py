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


def explore(data, embeddings, labels=None, path="explore.html", *, text_col="text", label_col="label",
            title="embetter explorer"):
    """Writes the explorer page and returns its path.

    Arguments:
        data: the texts, a list of str, or a pandas DataFrame whose ``text_col``
            holds them (and ``label_col``, when present and ``labels`` is None,
            their labels).
        embeddings: one array (n × d), or a dict of space name → array, e.g.
            ``{"raw": X, "tuned": tuner.transform(X)}``. An array of two columns
            is drawn as it is; a wider one is projected to 2-D with PCA (the
            same projection as ``embetter explore`` on the command line).
        labels: n labels (None, NaN or "" = unlabelled), or None.
        path: the .html file to write (atomically: a temporary file is renamed over it).
        title: the page's title.

    Example:
        >>> from embetter import explore
        >>> explore(df, {"raw": X, "tuned": tuner.transform(X)}, path="explore.html")
        'explore.html'

    The page's "Download labels (JSONL)" file has one line per text,
    ``{"text": ..., "label": ..., "row": i}``; ``embetter finetune --labels
    labels.jsonl --label-field label --row-field row`` trains on its labelled rows.
    """
    from . import _core

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
            X = _core.pca_2d(X)
        elif X.shape[1] < 2:
            raise ValueError(f"embeddings[{name!r}]: shape {X.shape}; expected at least 2 columns")
        projected.append((str(name), X))
    path = os.fspath(path)
    _core.write_explorer(path, texts, label_list, projected, title)
    return path
