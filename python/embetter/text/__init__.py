"""Text encoders: sentence-transformers models run natively, static vectors, and a weight-free lite encoder."""
from embetter.text._lite import LiteTextEncoder, learn_lite_text_embeddings
from embetter.text._sbert import MatrouskaEncoder, MatryoshkaEncoder, SentenceEncoder
from embetter.text._static import BytePairEncoder, TextEncoder

__all__ = [
    "SentenceEncoder",
    "MatryoshkaEncoder",
    "MatrouskaEncoder",
    "TextEncoder",
    "BytePairEncoder",
    "LiteTextEncoder",
    "learn_lite_text_embeddings",
]
