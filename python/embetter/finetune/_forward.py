"""FeedForwardTuner: input -> hidden (sigmoid) -> classes; the hidden layer is the new embedding."""
from __future__ import annotations

import numpy as np

from embetter import _core
from embetter._estimator import seed_of
from embetter.finetune._tuner import LabelledTuner


class FeedForwardTuner(LabelledTuner):
    """Trains a one-hidden-layer network on labelled embeddings and returns the
    hidden layer's activations as the new embedding.

    The network is Linear(n_features -> hidden_dim) + sigmoid (the embedding),
    then Linear(hidden_dim -> n_classes), trained with Adam, minibatches
    reshuffled every epoch.

    Args:
        hidden_dim: size of the new embedding.
        n_epochs: passes over the data per ``fit``/``partial_fit`` call.
        learning_rate: Adam's step size.
        batch_size: minibatch size.
        random_state: seed for the initial weights and the shuffling, drawn
            as torch draws them: ``random_state=s`` starts from the weights
            and sees the batches that the original embetter does after
            ``torch.manual_seed(s)``. The same seed and thread count give
            bitwise the same result.
        objective: what training minimises. ``"sigmoid_ce"`` (default) is the
            original embetter's: cross-entropy over the sigmoid of the output
            layer. ``"softmax_ce"`` is cross-entropy over the output layer
            itself. On sentence embeddings the original's gives the better
            space (docs/finetuning.md has the measurements).
    """

    _core_class = _core.FeedForwardTuner
    _feature_prefix = "feedforwardtuner"

    def __init__(self, hidden_dim=50, n_epochs=500, learning_rate=0.01, batch_size=32, random_state=None,
                 objective="sigmoid_ce"):
        self.hidden_dim = hidden_dim
        self.n_epochs = n_epochs
        self.learning_rate = learning_rate
        self.batch_size = batch_size
        self.random_state = random_state
        self.objective = objective

    def _new_model(self):
        return _core.FeedForwardTuner(
            hidden_dim=int(self.hidden_dim),
            n_epochs=int(self.n_epochs),
            learning_rate=float(self.learning_rate),
            batch_size=int(self.batch_size),
            random_state=seed_of(self.random_state),
            objective=str(self.objective),
        )

    def predict_proba(self, X):
        """Class probabilities, columns in ``classes_`` order."""
        return self._model_checked().predict_proba(self._fitted_X(X))

    def predict(self, X):
        """The most probable class of each row."""
        proba = self.predict_proba(X)  # first: it raises NotFittedError before classes_ exists
        return self.classes_[np.argmax(proba, axis=1)]


ForwardFinetuner = FeedForwardTuner
