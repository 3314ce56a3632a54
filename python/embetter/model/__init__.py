"""Models built on top of encoders."""
from embetter.model._diff import DifferenceClassifier

__all__ = ["DifferenceClassifier"]
