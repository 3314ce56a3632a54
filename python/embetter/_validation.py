"""Input checks shared by the estimators: errors read like scikit-learn's."""
from __future__ import annotations

import numpy as np


def as_text_list(X, name: str = "X") -> list[str]:
    """Lists, tuples, numpy arrays and pandas Series of str become a list of str."""
    if isinstance(X, str):
        raise TypeError(f"{name}: expected an iterable of strings, got a single string; wrap it in a list")
    if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # pandas Series / Index
        X = X.to_numpy()
    if isinstance(X, np.ndarray):
        if X.ndim != 1:
            raise ValueError(f"{name}: expected a 1-D array of strings, got shape {X.shape}")
        X = X.tolist()
    try:
        texts = list(X)
    except TypeError:
        raise TypeError(f"{name}: expected an iterable of strings, got {type(X).__name__}") from None
    for i, t in enumerate(texts):
        if not isinstance(t, str):
            raise TypeError(f"{name}: expected strings, found {type(t).__name__} at position {i}")
        if not t.isascii():
            try:
                t.encode("utf-8")
            except UnicodeEncodeError as e:
                raise ValueError(f"{name}: text at position {i} is not valid Unicode (UTF-8): {e.reason}") from None
    return texts


def as_float32_matrix(X, name: str = "X") -> np.ndarray:
    """A C-contiguous float32 2-D array of finite values (no copy when it already is one)."""
    from sklearn.utils import check_array

    return check_array(X, dtype=np.float32, order="C", ensure_all_finite=True, input_name=name)
