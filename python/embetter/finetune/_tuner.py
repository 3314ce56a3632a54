"""What the label-driven finetuners share: sklearn-style classes_, partial_fit
bookkeeping and the C++ model behind transform."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from embetter._estimator import CoreBacked
from embetter.finetune._labels import check_classification_targets_1d, class_names, encode_labels


class LabelledTuner(CoreBacked, TransformerMixin, BaseEstimator):
    """Base of FeedForwardTuner and ContrastiveTuner; subclasses build the C++
    model in ``_new_model`` and name their output features with ``_feature_prefix``."""

    _feature_prefix = "tuner"

    def _new_model(self):
        raise NotImplementedError

    def fit(self, X, y):
        """Trains from scratch on (X, y)."""
        for attr in ("_model", "classes_"):
            self.__dict__.pop(attr, None)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = check_classification_targets_1d(y)
        return self.partial_fit(X, y, classes=np.unique(y))

    def partial_fit(self, X, y, classes=None):
        """Continues training; the first call learns the classes from ``classes`` (or y)."""
        first = not hasattr(self, "_model")
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        X, y = self._check_X(X, reset=first), check_classification_targets_1d(y)
        if X.shape[0] != y.shape[0]:
            raise ValueError(f"X has {X.shape[0]} rows but y has {y.shape[0]} labels")
        if first:
            # The original requires `classes` here; we default to the labels seen
            # in y, as scikit-learn's own checks call partial_fit(X, y) directly.
            self.classes_ = np.unique(np.asarray(y if classes is None else classes))
            if len(self.classes_) < 2:
                raise ValueError(f"{type(self).__name__} needs at least 2 classes, got 1 class: {self.classes_[0]!r}")
            self._model = self._new_model()
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes {list(classes)} differ from the classes of the first call {list(self.classes_)}")
        self._model.partial_fit(X, encode_labels(self.classes_, y), class_names(len(self.classes_)))
        return self

    def transform(self, X, y=None):
        """The tuned embedding: an (n_samples, hidden_dim) float32 array."""
        return self._model_checked().transform(self._fitted_X(X))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "_model")
        return np.asarray([f"{self._feature_prefix}{i}" for i in range(self.hidden_dim)], dtype=object)

    def _model_checked(self):
        check_is_fitted(self, "_model")
        return self._model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float32"]  # always float32, like the C++ core
        return tags
