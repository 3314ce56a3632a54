"""Finetuning the encoder itself (its transformer "body") on pairs of texts,
natively: SbertLearner (the original's API, pairs in) and BodyTuner (labels
in, SetFit's recipe). The training runs in C++ (no PyTorch)."""
from __future__ import annotations

import math
import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from embetter import _core
from embetter._estimator import seed_of
from embetter._validation import as_text_list
from embetter.finetune._labels import check_classification_targets_1d

_LOSSES = ("cosine", "contrastive", "mnrl")


def _model_name(sent_tfm) -> str:
    """The model folder or hub id behind `sent_tfm`: our SentenceEncoder, or a
    folder / hub id given directly."""
    if isinstance(sent_tfm, (str, os.PathLike)):
        return os.fspath(sent_tfm)
    name = getattr(sent_tfm, "name", None)
    if isinstance(name, (str, os.PathLike)) and hasattr(sent_tfm, "transform"):
        return os.fspath(name)
    raise TypeError(
        f"sent_tfm: expected an embetter.text.SentenceEncoder or a model folder / hub id, got {type(sent_tfm).__name__}"
        " (a PyTorch SentenceTransformer cannot be trained here: save it with .save(folder) and pass the folder)"
    )


def _max_seq_length(sent_tfm) -> int:
    value = getattr(sent_tfm, "max_seq_length", None)
    return int(value) if value else 0


def _normalized(X, sent_tfm):
    if getattr(sent_tfm, "normalize_embeddings", False):
        X = X / np.maximum(np.linalg.norm(X, axis=1, keepdims=True), 1e-12)
    return X


def _check_loss(loss):
    if loss not in _LOSSES:
        raise ValueError(f"loss must be one of {list(_LOSSES)}, got {loss!r}")
    return loss


def _fit_keeping_epochs(estimator, model, *args, **kwargs):
    """model.fit, then the model becomes the estimator's. On Ctrl-C too: the
    core has put back the weights from before the interrupted epoch, so the
    estimator keeps the epochs that finished (none: the model it started from)."""
    try:
        losses = model.fit(*args, **kwargs)
    except KeyboardInterrupt:
        estimator._model = model
        raise
    estimator._model = model
    return losses


class SbertLearner(BaseEstimator):
    """Finetunes a sentence-transformers model on pairs of texts, as the
    original's ``SbertLearner`` does with ``SentenceTransformer.fit``, but in
    C++: the transformer's forward and backward passes, AdamW with a linear
    warm-up then decay, gradient clipping at norm 1.

    Args:
        sent_tfm: the encoder to start from: an ``embetter.text.SentenceEncoder``
            (its model, ``max_seq_length`` and ``normalize_embeddings`` are
            used) or a model folder / hub id. It is not modified; the learner
            keeps its own finetuned copy.
        batch_size: pairs per step. (The original always uses 16.)
        epochs: passes over the pairs.
        warmup_steps: steps of linear warm-up of the learning rate.
        learning_rate: AdamW's peak step size (sentence-transformers' default).
        loss: "cosine" (CosineSimilarityLoss, the original's: labels are
            similarities in [0, 1]), "contrastive" (ContrastiveLoss, labels 0
            or 1) or "mnrl" (MultipleNegativesRankingLoss: every pair is a
            positive, the labels are ignored).
        random_state: seed for the shuffling and the dropout masks.

    Example:
        >>> learner = SbertLearner(SentenceEncoder("all-MiniLM-L6-v2"))  # doctest: +SKIP
        >>> learner.fit(X1, X2, y).transform(["a text"]).shape  # doctest: +SKIP
        (1, 384)
    """

    def __init__(self, sent_tfm, batch_size=16, epochs=1, warmup_steps=100, learning_rate=2e-5, loss="cosine",
                 random_state=None):
        self.sent_tfm = sent_tfm
        self.batch_size = batch_size
        self.epochs = epochs
        self.warmup_steps = warmup_steps
        self.learning_rate = learning_rate
        self.loss = loss
        self.random_state = random_state

    def fit(self, X1, X2, y=None):
        """Finetunes on pairs (X1[i], X2[i]) with similarity y[i]. Returns self;
        ``loss_curve_`` holds each step's loss."""
        X1, X2 = as_text_list(X1, "X1"), as_text_list(X2, "X2")
        loss = _check_loss(self.loss)
        if y is None:
            if loss != "mnrl":
                raise ValueError(f"SbertLearner: y is required for the {loss!r} loss")
            y = np.zeros(0, dtype=np.float32)
        y = np.asarray(y, dtype=np.float32).ravel()
        model = _core.BodyFinetuner(_model_name(self.sent_tfm), _max_seq_length(self.sent_tfm))
        self.loss_curve_ = _fit_keeping_epochs(
            self, model, X1, X2, y.tolist(), loss=loss, batch_size=int(self.batch_size), epochs=int(self.epochs),
            warmup_steps=int(self.warmup_steps), learning_rate=float(self.learning_rate), weight_decay=0.01,
            max_grad_norm=1.0, dropout=True, shuffle=True, random_state=seed_of(self.random_state))
        return self

    def transform(self, X, y=None):
        """Embeddings of X with the finetuned encoder: (n_texts, dim) float32."""
        check_is_fitted(self, "_model")
        single = isinstance(X, str)
        out = _normalized(self._model.encode([X] if single else as_text_list(X)), self.sent_tfm)
        return out[0] if single else out

    def predict(self, X1, X2):
        """The cosine similarity of each pair's finetuned embeddings."""
        a, b = self.transform(X1), self.transform(X2)
        if a.shape != b.shape:
            raise ValueError(f"X1 and X2 must have the same length, got {a.shape[0]} and {b.shape[0]}")
        norms = np.maximum(np.linalg.norm(a, axis=1) * np.linalg.norm(b, axis=1), 1e-8)
        return (a * b).sum(axis=1) / norms

    def to_disk(self, path):
        """Writes the finetuned model as a sentence-transformers folder (built
        next to `path`, then renamed into place); ``SentenceEncoder(path)``,
        sentence-transformers and the original embetter load it."""
        check_is_fitted(self, "_model")
        self._model.save(os.fspath(path))


class BodyTuner(TransformerMixin, BaseEstimator):
    """Finetunes the encoder's transformer from labelled texts, SetFit's way:
    pairs of texts with the same label (similarity 1) and with different
    labels (0) are drawn from the labels, the transformer is trained on them
    contrastively, and the finetuned encoder's embedding is the output.
    Use it in front of ``LogisticRegression`` or ``FeedForwardTuner``.

    Unlike FeedForwardTuner, which trains a small network on fixed
    embeddings, this changes the embeddings themselves; it takes texts, not
    vectors.

    Args:
        encoder: the encoder to start from (``embetter.text.SentenceEncoder`` or
            a model folder / hub id).
        n_iterations: rounds of pair drawing; each gives every text one
            positive and one negative partner (SetFit's ``num_iterations``).
        epochs: passes over the pairs.
        batch_size: pairs per step.
        learning_rate: AdamW's peak step size.
        warmup_proportion: share of the steps spent warming up (SetFit's 0.1).
        loss: "cosine" (SetFit's CosineSimilarityLoss) or "contrastive".
        max_seq_length: tokens per text while training and encoding (None:
            the encoder's).
        random_state: seed for the pairs, the shuffling and the dropout.
    """

    def __init__(self, encoder="all-MiniLM-L6-v2", n_iterations=5, epochs=1, batch_size=16, learning_rate=2e-5,
                 warmup_proportion=0.1, loss="cosine", max_seq_length=None, random_state=None):
        self.encoder = encoder
        self.n_iterations = n_iterations
        self.epochs = epochs
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.warmup_proportion = warmup_proportion
        self.loss = loss
        self.max_seq_length = max_seq_length
        self.random_state = random_state

    def fit(self, X, y):
        """Draws pairs from (X, y) and finetunes the encoder on them."""
        X = as_text_list(X, "X")
        if y is None:
            raise ValueError("BodyTuner requires y to be passed, but the target y is None.")
        y = check_classification_targets_1d(y)
        if len(X) != y.shape[0]:
            raise ValueError(f"X has {len(X)} texts but y has {y.shape[0]} labels")
        loss = _check_loss(self.loss)
        if loss == "mnrl":
            raise ValueError("BodyTuner: loss 'mnrl' needs positive pairs only; use 'cosine' or 'contrastive'")
        if not 0 <= float(self.warmup_proportion) <= 1:
            raise ValueError(f"warmup_proportion must be in [0, 1], got {self.warmup_proportion!r}")
        self.classes_ = np.unique(y)
        if len(self.classes_) < 2:
            raise ValueError(f"BodyTuner needs at least 2 classes, got 1 class: {self.classes_[0]!r}")
        seed = seed_of(self.random_state)
        first, second, labels = _core.label_pairs([str(v) for v in y.tolist()], int(self.n_iterations), seed)
        steps = math.ceil(len(first) / int(self.batch_size)) * int(self.epochs)
        max_len = int(self.max_seq_length) if self.max_seq_length else _max_seq_length(self.encoder)
        model = _core.BodyFinetuner(_model_name(self.encoder), max_len)
        self.n_pairs_ = len(first)
        self.loss_curve_ = _fit_keeping_epochs(
            self, model, [X[i] for i in first], [X[i] for i in second], labels.tolist(), loss=loss,
            batch_size=int(self.batch_size), epochs=int(self.epochs),
            warmup_steps=math.ceil(float(self.warmup_proportion) * steps), learning_rate=float(self.learning_rate),
            weight_decay=0.01, max_grad_norm=1.0, dropout=True, shuffle=True,
            random_state=None if seed is None else seed + 1)
        return self

    def transform(self, X, y=None):
        """The finetuned encoder's embeddings of X: (n_texts, dim) float32."""
        check_is_fitted(self, "_model")
        return _normalized(self._model.encode(as_text_list(X, "X")), self.encoder)

    def to_disk(self, path):
        """Writes the finetuned encoder as a sentence-transformers folder."""
        check_is_fitted(self, "_model")
        self._model.save(os.fspath(path))

    def get_feature_names_out(self, input_features=None):
        check_is_fitted(self, "_model")
        return np.asarray([f"bodytuner{i}" for i in range(self._model.dim)], dtype=object)
