"""Class bookkeeping for the finetuners: sklearn-style classes_, unknown labels."""
from __future__ import annotations

import numpy as np
from sklearn.utils.multiclass import type_of_target


def check_classification_targets_1d(y, name: str = "y") -> np.ndarray:
    y = np.asarray(y)
    if y.ndim == 2 and y.shape[1] == 1:
        import warnings

        from sklearn.exceptions import DataConversionWarning

        warnings.warn(
            "A column-vector y was passed when a 1d array was expected. Please change the shape of y to (n_samples,).",
            DataConversionWarning,
            stacklevel=3,
        )
        y = y.ravel()
    if y.ndim != 1:
        raise ValueError(f"{name}: expected a 1-D array of labels, got shape {y.shape}")
    kind = type_of_target(y, input_name=name)
    if kind not in ("binary", "multiclass"):
        raise ValueError(f"Unknown label type: {kind}. {name} must hold class labels (binary or multiclass).")
    return y


def encode_labels(classes: np.ndarray, y: np.ndarray, name: str = "y") -> list[str]:
    """Indices of y in classes, as strings for the C++ core ("0", "1", ...)."""
    idx = np.searchsorted(classes, y)
    idx = np.clip(idx, 0, len(classes) - 1)
    unknown = classes[idx] != y
    if np.any(unknown):
        bad = y[np.argmax(unknown)]
        raise ValueError(f"{name} contains label {bad!r} not in classes {list(classes)}")
    return [str(i) for i in idx]


def class_names(n: int) -> list[str]:
    return [str(i) for i in range(n)]
