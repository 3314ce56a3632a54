"""Text encoders: sentence-transformers models run natively, static vectors, and a weight-free lite encoder."""
from embetter.text._lite import LiteTextEncoder, learn_lite_text_embeddings
from embetter.text._sbert import MatrouskaEncoder, MatryoshkaEncoder, SentenceEncoder
from embetter.text._static import BytePairEncoder, TextEncoder

try:
    from embetter.text._keras import KerasNLPEncoder
except ImportError:  # keras-nlp is an optional extra, as in the original
    from embetter.error import NotInstalled

    KerasNLPEncoder = NotInstalled("KerasNLPEncoder", "keras_nlp")

__all__ = [
    "SentenceEncoder",
    "MatryoshkaEncoder",
    "MatrouskaEncoder",
    "TextEncoder",
    "BytePairEncoder",
    "KerasNLPEncoder",
    "LiteTextEncoder",
    "learn_lite_text_embeddings",
]
