"""KerasNLPEncoder: a keras-nlp BERT backbone's pooled output, as the original's.

A thin wrapper over keras-nlp (an optional extra, ``embetter[keras_nlp]``),
which runs the model itself on the Keras backend that ``KERAS_BACKEND`` names;
embetter's C++ core is not involved. Without keras-nlp, ``embetter.text``
exports a NotInstalled in its place.
"""
import keras_nlp
import numpy as np

from embetter._validation import as_text_list
from embetter.base import EmbetterBase


class KerasNLPEncoder(EmbetterBase):
    """Encodes texts with a keras-nlp BERT preset (``pooled_output``).

    Args:
        name: a keras-nlp BERT preset, e.g. ``"bert_tiny_en_uncased"``.
    """

    def __init__(self, name="bert_tiny_en_uncased"):
        self.name = name
        self.backbone = keras_nlp.models.BertBackbone.from_preset(name)
        self.preprocessor = keras_nlp.models.BertPreprocessor.from_preset(name)

    def transform(self, X, y=None):
        """An (n_texts, dim) array of the backbone's pooled output."""
        out = self.backbone(self.preprocessor(np.asarray(as_text_list(X))))["pooled_output"]
        return np.asarray(out)
