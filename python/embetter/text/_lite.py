"""The lite encoder: TF-IDF followed by randomized truncated SVD, no pretrained weights."""
from __future__ import annotations

import itertools as it
import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from embetter import _core
from embetter._estimator import CoreBacked, seed_of
from embetter._validation import as_text_list


class LiteTextEncoder(CoreBacked, TransformerMixin, BaseEstimator):
    """Dense text vectors from TF-IDF + truncated SVD.

    ``LiteTextEncoder(path)`` loads a model saved by ``learn_lite_text_embeddings``
    (or ``save``), as in the original. ``LiteTextEncoder(dim=...)`` is an
    unfitted encoder that ``fit`` learns from a list of texts.

    Args:
        path: a saved model to load (optional).
        dim: number of SVD components.
        lite: store idf and components in float16 precision, as the original's
            ``lite=True`` does.
        random_state: seed of the randomized SVD.
        sublinear_tf, min_df, max_df, max_features: TfidfVectorizer options.
    """

    _core_class = _core.LiteTextEncoder

    def __init__(self, path=None, dim=300, lite=True, random_state=None, sublinear_tf=False, min_df=1, max_df=1.0,
                 max_features=None):
        self.path = path
        self.dim = dim
        self.lite = lite
        self.random_state = random_state
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features

    def fit(self, X, y=None):
        """Learns the vocabulary, idf and SVD from the texts X."""
        if self.path is not None:
            return self._load()  # a saved model is used as is, like a pretrained encoder
        texts = as_text_list(X)
        if not texts:
            raise ValueError("LiteTextEncoder.fit: expected at least one text, got none")
        # Fitted aside: an interrupted fit (Ctrl-C) keeps the model fitted before.
        model = _core.LiteTextEncoder(
            dim=int(self.dim),
            lite=bool(self.lite),
            random_state=seed_of(self.random_state),
            sublinear_tf=bool(self.sublinear_tf),
            min_df=float(self.min_df),
            max_df=float(self.max_df),
            max_features=None if self.max_features is None else int(self.max_features),
        )
        model.fit(texts)
        self._model = model
        return self

    def partial_fit(self, X, y=None, classes=None):
        return self if hasattr(self, "_model") else self.fit(X)

    def transform(self, X, y=None):
        """An (n_texts, dim) float32 array."""
        if self.path is not None and not hasattr(self, "_model"):
            self._load()
        check_is_fitted(self, "_model")
        return self._model.transform(as_text_list(X))

    def _load(self):
        self._model = _core.LiteTextEncoder.load(os.fspath(self.path))
        return self

    def save(self, path):
        """Writes the fitted model to one safetensors file (atomically)."""
        check_is_fitted(self, "_model")
        self._model.save(os.fspath(path))

    def get_feature_names_out(self, input_features=None):
        """``litetextencoder0`` ... ``litetextencoder{dim-1}``."""
        if self.path is not None and not hasattr(self, "_model"):
            self._load()
        check_is_fitted(self, "_model")
        return np.asarray([f"litetextencoder{i}" for i in range(self._model.dim)], dtype=object)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []  # text in, float32 out
        return tags


def learn_lite_text_embeddings(text_stream, dim=300, lite=True, path=None, **kwargs):
    """Learns a LiteTextEncoder from a stream of texts (and saves it to ``path`` if given).

    Args:
        text_stream: any iterable of strings (a generator is fine).
        dim: number of SVD components.
        lite: float16 precision for the stored idf and components.
        path: where to save the model (optional).
        **kwargs: TfidfVectorizer options (sublinear_tf, min_df, max_df, max_features)
            and random_state.
    """
    enc = LiteTextEncoder(dim=dim, lite=lite, **kwargs).fit(list(it.chain(text_stream)))
    if path:
        enc.save(path)
    return enc
