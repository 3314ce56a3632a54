"""Contrastive finetuners: learn from pairs of (same class / different class) examples."""
from __future__ import annotations

import numpy as np
from sklearn.base import BaseEstimator
from sklearn.utils import TransformerTags
from sklearn.utils.validation import check_is_fitted

from embetter import _core
from embetter._estimator import CoreBacked, seed_of
from embetter.finetune._tuner import LabelledTuner


class ContrastiveTuner(LabelledTuner):
    """Learns a new embedding from pairs drawn SetFit-style from labelled data:
    for each example one positive (same class) and ``n_neg`` negatives.

    Args:
        hidden_dim: size of the new embedding.
        n_neg: negative pairs per example.
        epochs: passes over the generated pairs.
        learning_rate: Adam's step size.
        random_state: seed for pairs, weights and shuffling.
    """

    _core_class = _core.ContrastiveTuner
    _feature_prefix = "contrastivetuner"

    def __init__(self, hidden_dim=50, n_neg=3, epochs=20, learning_rate=0.001, random_state=None):
        self.hidden_dim = hidden_dim
        self.n_neg = n_neg
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.random_state = random_state

    @property
    def learner(self) -> "ContrastiveLearner":
        """The pair network behind the tuner, as a ContrastiveLearner (the
        original builds one in ``__init__``). Before ``fit`` an unfitted learner
        with the tuner's settings; after, a copy of the trained one: its
        ``transform`` equals the tuner's, and training it leaves the tuner as it was."""
        learner = ContrastiveLearner(shape_out=self.hidden_dim, batch_size=256, epochs=self.epochs,
                                     learning_rate=self.learning_rate, random_state=self.random_state)
        model = self.__dict__.get("_model")
        if model is not None:
            learner._model = _core.ContrastiveLearner.from_bytes(model.learner_bytes())
            learner.n_features_in_ = self.n_features_in_
        return learner

    def generate_batch(self, X, y):
        """The pairs ``partial_fit`` trains on, drawn from (X, y) as the original
        draws them: for each example one positive (same class) and ``n_neg``
        negatives. Returns ``(X1, X2, labels)``: float32 arrays of the pairs'
        rows and int64 labels (1 same class, 0 not); the original returns torch
        tensors of the same content. Drawn as a ``fit`` with this
        ``random_state`` would draw them (the same pairs on every call when it
        is a seed)."""
        X = np.asarray(X, dtype=np.float32)
        y = np.asarray(y)
        if X.ndim != 2 or X.shape[0] != y.shape[0]:
            raise ValueError(f"X must be 2-D with one row per label, got shapes {X.shape} and {y.shape}")
        first, second, labels = self._new_model().draw_pairs([str(v) for v in y.tolist()])
        return X[first], X[second], labels.astype(np.int64)

    def _new_model(self):
        return _core.ContrastiveTuner(
            hidden_dim=int(self.hidden_dim),
            n_neg=int(self.n_neg),
            epochs=int(self.epochs),
            learning_rate=float(self.learning_rate),
            random_state=seed_of(self.random_state),
        )


class ContrastiveLearner(CoreBacked, BaseEstimator):
    """A shared tower Linear -> ReLU -> Linear trained so that the cosine
    similarity of two inputs' embeddings matches the pair's label.

    Args:
        shape_out: size of the embedding.
        batch_size: pairs per step.
        epochs: passes over the pairs.
        learning_rate: Adam's step size.
        random_state: seed for weights and shuffling.
    """

    _core_class = _core.ContrastiveLearner

    def __init__(self, shape_out=300, batch_size=16, epochs=1, learning_rate=2e-5, random_state=None):
        self.shape_out = shape_out
        self.batch_size = batch_size
        self.epochs = epochs
        self.learning_rate = learning_rate
        self.random_state = random_state

    def fit(self, X1, X2, y):
        """Trains on pairs (X1[i], X2[i]) with similarity targets y[i] (e.g. 0/1)."""
        X1 = self._check_X(X1, reset=True)
        X2 = validate_pair(X2, X1.shape[1], "X2")
        y = np.asarray(y, dtype=np.float32).ravel()
        if not (X1.shape[0] == X2.shape[0] == y.shape[0]):
            raise ValueError(f"X1, X2 and y must have the same length, got {X1.shape[0]}, {X2.shape[0]} and {y.shape[0]}")
        self._model = _core.ContrastiveLearner(
            shape_out=int(self.shape_out),
            batch_size=int(self.batch_size),
            epochs=int(self.epochs),
            learning_rate=float(self.learning_rate),
            random_state=seed_of(self.random_state),
        )
        self._model.fit(X1, X2, y)
        return self

    def transform(self, X, y=None):
        """The learnt embedding of X."""
        X = self._fitted_X(X)  # first: NotFittedError before _model is read
        return self._model.transform(X)

    def to_disk(self, path):
        """Saves the trained network to one safetensors file (written to a
        temporary file, then renamed); ``ContrastiveLearner.from_disk`` reads it.
        (The original's to_disk saves a sentence-transformers model it does not have.)"""
        import os

        check_is_fitted(self, "_model")
        self._model.save(os.fspath(path))

    @classmethod
    def from_disk(cls, path):
        """A learner from a file written by ``to_disk``, ready to transform and predict."""
        import os

        model = _core.ContrastiveLearner.load(os.fspath(path))
        learner = cls(shape_out=model.shape_out, batch_size=model.batch_size, epochs=model.epochs,
                      learning_rate=model.learning_rate)
        learner._model = model
        learner.n_features_in_ = model.n_features_in
        return learner

    def predict(self, X1, X2):
        """Cosine similarity of each pair's embeddings."""
        X1 = self._fitted_X(X1)
        X2 = validate_pair(X2, X1.shape[1], "X2")
        return np.asarray(self._model.predict(X1, X2)).ravel()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        # A transformer without TransformerMixin: its fit takes pairs, so
        # fit_transform(X, y) would make no sense.
        tags.transformer_tags = TransformerTags(preserves_dtype=["float32"])
        return tags


def validate_pair(X, n_features: int, name: str):
    from sklearn.utils import check_array

    X = check_array(X, dtype=np.float32, order="C", input_name=name)
    if X.shape[1] != n_features:
        raise ValueError(f"{name} has {X.shape[1]} features, but X1 has {n_features}")
    return X
