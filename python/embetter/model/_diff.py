"""DifferenceClassifier: is a pair of inputs 'the same'? Learnt on |enc(X1) - enc(X2)|."""
import numpy as np
from sklearn.base import ClassifierMixin, TransformerMixin
from sklearn.linear_model import LogisticRegression


class DifferenceClassifier:
    """Classifies pairs (X1[i], X2[i]) with a head trained on |enc(X1) - enc(X2)|.

    Args:
        enc: any transformer (an embetter encoder or pipeline).
        clf_head: the classifier on the difference features; defaults to
            ``LogisticRegression(class_weight="balanced")``.
    """

    def __init__(self, enc: TransformerMixin, clf_head: ClassifierMixin = None):
        self.enc = enc
        self.clf_head = LogisticRegression(class_weight="balanced") if not clf_head else clf_head

    def _calc_feats(self, X1, X2):
        enc1 = np.asarray(self.enc.transform(X1))
        enc2 = np.asarray(self.enc.transform(X2))
        if enc1.shape != enc2.shape:
            raise ValueError(f"DifferenceClassifier: X1 and X2 must have the same length, got {len(enc1)} and {len(enc2)}")
        return np.abs(enc1 - enc2)

    def fit(self, X1, X2, y):
        self.clf_head.fit(self._calc_feats(X1, X2), y)
        return self

    def predict(self, X1, X2):
        return self.clf_head.predict(self._calc_feats(X1, X2))

    def predict_proba(self, X1, X2):
        return self.clf_head.predict_proba(self._calc_feats(X1, X2))
