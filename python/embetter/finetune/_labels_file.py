"""read_labels: the explorer page's labels download (docs/explorer.md) as
training data for the finetuners, with the checks of ``embetter finetune
--row-field`` (cli/inputs.cc load_row_labels)."""
from __future__ import annotations

import csv
import json
import os

import numpy as np


def _records(path, label_field, row_field):
    """Yields (where, label, row) for each non-blank line of a .jsonl or each data row of a .csv."""
    ext = os.path.splitext(path)[1].lower()
    if ext in (".jsonl", ".ndjson"):
        with open(path, encoding="utf-8") as f:
            for number, line in enumerate(f, start=1):
                if not line.strip():
                    continue
                where = f"{path}:{number}"
                try:
                    record = json.loads(line)
                except json.JSONDecodeError as e:
                    raise ValueError(f"{where}: not valid JSON ({e.msg} at column {e.colno})") from None
                if not isinstance(record, dict):
                    raise ValueError(f"{where}: expected a JSON object, got {type(record).__name__}")
                yield where, record.get(label_field, _MISSING), record.get(row_field, _MISSING)
    elif ext == ".csv":
        with open(path, encoding="utf-8", newline="") as f:
            reader = csv.DictReader(f)
            header = reader.fieldnames or []
            for field in (label_field, row_field):
                if field not in header:
                    raise ValueError(f"{path}:1: the header {header} has no column {field!r}")
            for record in reader:
                where = f"{path}:{reader.line_num}"
                if None in record or None in record.values():
                    raise ValueError(f"{where}: {len(header)} columns expected ({','.join(header)})")
                row = record[row_field]
                yield where, record[label_field], int(row) if row.isascii() and row.isdigit() else row
    else:
        raise ValueError(f"{path}: expected a .jsonl or .csv file (the explorer page's labels download)")


_MISSING = object()


def read_labels(path, X, *, label_field="label", row_field="row"):
    """The labelled rows of an explorer labels file, ready for a finetuner.

    Reads the file the explorer page downloads (``labels.jsonl``, or
    ``labels.csv``: one record per row, ``{"text", "label", "row"}``) and
    returns the rows of ``X`` that have a label, with their labels. Records
    whose label is empty are skipped.

    Arguments:
        path: the .jsonl (or .ndjson) or .csv file.
        X: the embeddings the page was made from, one row per ``row`` index
            (e.g. the demo's ``explore-raw.npy``).
        label_field, row_field: the names of the label and row fields.

    Returns:
        ``(X_labelled, y)``: ``X[rows]`` and a 1-D array of the labels (str).

    Raises ValueError naming the file (and line) for a malformed line, a
    missing field, a row that is not an integer >= 0 or is past the end of
    ``X``, a row labelled twice, or a file with no label at all.

    Example:
        >>> X = np.load("embetter-demo/explore-raw.npy")
        >>> X_labelled, y = read_labels("labels.jsonl", X)
        >>> tuner = FeedForwardTuner(hidden_dim=10).fit(X_labelled, y)
    """
    path = os.fspath(path)
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{path}: no such file (the explorer page's labels download)")
    n = len(X)
    rows, labels, seen = [], [], {}
    for where, label, row in _records(path, label_field, row_field):
        if label is _MISSING:
            raise ValueError(f"{where}: no field {label_field!r}")
        if row is _MISSING:
            raise ValueError(f"{where}: no field {row_field!r} (the row of the embeddings this label is for)")
        if isinstance(row, bool) or not isinstance(row, int) or row < 0:
            raise ValueError(f"{where}: field {row_field!r} is {row!r}; expected a row index (an integer >= 0)")
        if isinstance(label, (int, float, bool)):
            label = json.dumps(label)  # as the CLI: 1 -> "1", true -> "true"
        elif not isinstance(label, str):
            raise ValueError(f"{where}: field {label_field!r} is {type(label).__name__}; expected a string label")
        if label == "":
            continue  # an unlabelled row
        if row >= n:
            raise ValueError(f"{where}: {row_field!r} {row} is past the last row of X ({n} rows); "
                             "were the labels made for other embeddings?")
        if row in seen:
            raise ValueError(f"{where}: row {row} is labelled twice (first at line {seen[row]}); "
                             "expected one label per row")
        seen[row] = where.rsplit(":", 1)[1]
        rows.append(row)
        labels.append(label)
    if not rows:
        raise ValueError(f"{path}: no line has a label (every {label_field!r} is empty); label some rows first")
    return np.asarray(X)[np.asarray(rows)], np.asarray(labels)
