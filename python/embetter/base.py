"""Base class of the stateless components (grabbers, pretrained encoders)."""
from sklearn.base import BaseEstimator, TransformerMixin


class EmbetterBase(TransformerMixin, BaseEstimator):
    """A transformer whose ``fit`` and ``partial_fit`` learn nothing."""

    def fit(self, X, y=None):
        """No-op: the component holds no state learned from data."""
        return self

    def partial_fit(self, X, y=None, classes=None):
        """No-op: the component holds no state learned from data."""
        return self
