"""FeedForwardTuner: input -> hidden (sigmoid) -> classes; the hidden layer is the new embedding."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from embetter import _core
from embetter._estimator import CoreBacked, seed_of
from embetter.finetune._labels import check_classification_targets_1d, class_names, encode_labels


class FeedForwardTuner(CoreBacked, TransformerMixin, BaseEstimator):
    """Trains a one-hidden-layer network on labelled embeddings and returns the
    hidden layer's activations as the new embedding.

    The network is Linear(n_features -> hidden_dim) + sigmoid (the embedding),
    then Linear(hidden_dim -> n_classes), trained with Adam on softmax
    cross-entropy, minibatches reshuffled every epoch.

    Args:
        hidden_dim: size of the new embedding.
        n_epochs: passes over the data per ``fit``/``partial_fit`` call.
        learning_rate: Adam's step size.
        batch_size: minibatch size.
        random_state: seed for the initial weights and the shuffling; the same
            seed and thread count give bitwise the same result.
    """

    _core_class = _core.FeedForwardTuner

    def __init__(self, hidden_dim=50, n_epochs=500, learning_rate=0.01, batch_size=32, random_state=None):
        self.hidden_dim = hidden_dim
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state

    def fit(self, X, y):
        """Trains from scratch on (X, y)."""
        for attr in ("_model", "classes_"):
            self.__dict__.pop(attr, None)
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None.")
        y = check_classification_targets_1d(y)
        return self.partial_fit(X, y, classes=np.unique(y))

    def partial_fit(self, X, y, classes=None):
        """Continues training (the first call needs ``classes``, or comes through ``fit``)."""
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
                raise ValueError(
                    f"{type(self).__name__} needs at least 2 classes, got 1 class: {self.classes_[0]!r}"
                )
            self._model = _core.FeedForwardTuner(
                hidden_dim=int(self.hidden_dim),
                n_epochs=int(self.n_epochs),
                learning_rate=float(self.learning_rate),
                batch_size=int(self.batch_size),
                random_state=seed_of(self.random_state),
            )
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes {list(classes)} differ from the classes of the first call {list(self.classes_)}")
        self._model.partial_fit(X, encode_labels(self.classes_, y), class_names(len(self.classes_)))
        return self

    def transform(self, X, y=None):
        """The hidden layer's activations: an (n_samples, hidden_dim) float32 array."""
        return self._model_for(X).transform(self._fitted_X(X))

    def predict_proba(self, X):
        """Class probabilities, columns in ``classes_`` order."""
        return self._model_for(X).predict_proba(self._fitted_X(X))

    def predict(self, X):
        """The most probable class of each row."""
        check_is_fitted(self, "_model")
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "_model")
        return np.asarray([f"feedforwardtuner{i}" for i in range(self.hidden_dim)], dtype=object)

    def _model_for(self, X):
        check_is_fitted(self, "_model")
        return self._model

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.target_tags.required = True
        tags.transformer_tags.preserves_dtype = ["float32"]  # always float32, like the C++ core
        return tags


ForwardFinetuner = FeedForwardTuner
