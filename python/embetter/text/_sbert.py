"""SentenceEncoder: sentence-transformers models run natively by the C++ core."""
from __future__ import annotations

import os
import warnings

import numpy as np

from embetter import _core
from embetter._loaded_models import LoadedModels, precision_of
from embetter._validation import as_text_list
from embetter.text._static import LazyEncoder


class NativeTokenizer:
    """``SentenceEncoder(...).tfm.tokenizer``: the model's tokenizer, for the
    token ids the encoder sees."""

    def __init__(self, encoder):
        self._encoder = encoder

    def encode(self, text: str) -> list[int]:
        """Token ids of one text with the special tokens, truncated to the
        model's max_seq_length (a Hugging Face tokenizer's ``encode`` does not
        truncate unless asked)."""
        if not isinstance(text, str):
            raise TypeError(f"text: expected a string, got {type(text).__name__}")
        return list(self._encoder.token_ids(text))


class NativeSentenceModel:
    """``SentenceEncoder(...).tfm``: what embetter code uses from a
    ``SentenceTransformer``, over the native encoder (no PyTorch).

    ``encode`` (one string → one vector, a list → a matrix, numpy always),
    ``max_seq_length``, ``get_sentence_embedding_dimension()``, ``tokenizer.encode``.
    """

    def __init__(self, encoder):
        self._encoder = encoder
        self.tokenizer = NativeTokenizer(encoder)

    @property
    def max_seq_length(self) -> int:
        return self._encoder.max_seq_length

    def get_sentence_embedding_dimension(self) -> int:
        return self._encoder.dim

    def encode(self, sentences, batch_size=None, show_progress_bar=None, convert_to_numpy=True,
               normalize_embeddings=False, **kwargs):
        """As SentenceTransformer.encode. batch_size and show_progress_bar are the
        encoder's own (set on SentenceEncoder); other keyword arguments of
        sentence-transformers (device, convert_to_tensor, ...) are refused."""
        if kwargs:
            raise TypeError(f"encode: unsupported argument(s) {sorted(kwargs)} (embetter runs on the CPU, numpy out)")
        if not convert_to_numpy:
            raise ValueError("encode: convert_to_numpy=False asks for torch tensors; embetter returns numpy arrays")
        single = isinstance(sentences, str)
        out = self._encoder.encode([sentences] if single else as_text_list(sentences, "sentences"))
        if normalize_embeddings:
            out = out / np.maximum(np.linalg.norm(out, axis=1, keepdims=True), 1e-12)
        return out[0] if single else out


# Models are loaded once per process for a given model and settings (see
# embetter._loaded_models for why), at most four at a time.
# (The class is looked up at each load, not bound at import.)
_LOADED = LoadedModels(lambda name, **settings: _core.SentenceEncoder(name, **settings), max_models=4)


class SentenceEncoder(LazyEncoder):
    """Encodes texts with a sentence-transformers model, natively (no PyTorch).

    The model is a local folder or a hub id (``all-MiniLM-L6-v2`` means
    ``sentence-transformers/all-MiniLM-L6-v2``), found in the Hugging Face
    cache or downloaded into it. It is loaded on first use, once per process
    for a given model and settings (shared by such encoders, e.g. by every
    task of a Dask worker; see docs/scale-out.md).

    Args:
        name: model folder or hub id.
        device: accepted for compatibility; only "cpu" (or None) is supported.
        quantize: the original's switch to int8 (PyTorch dynamic quantization):
            True means ``precision="int8"``.
        num_threads: threads for the encoder (None: all cores).
        batch_size: texts per batch (texts of similar length are batched together).
        normalize_embeddings: L2-normalise the output.
        max_seq_length: override the model's maximum sequence length.
        truncate_dim: keep only the first dimensions (Matryoshka models).
        show_progress_bar: draw a progress bar on stderr.
        precision: "fp32" (default) or "int8": the transformer's matrix
            products in int8 (1.5–2.4× fp32 with AVX-512 VNNI, ~1.2× on
            AVX2), cosine ≥ 0.999 to the fp32 embeddings.
    """

    def __init__(self, name="all-MiniLM-L6-v2", device=None, quantize=False, num_threads=None, batch_size=32,
                 normalize_embeddings=False, max_seq_length=None, truncate_dim=None, show_progress_bar=False,
                 precision="fp32"):
        self.name = name
        self.device = device
        self.quantize = quantize
        self.num_threads = num_threads
        self.batch_size = batch_size
        self.normalize_embeddings = normalize_embeddings
        self.max_seq_length = max_seq_length
        self.truncate_dim = truncate_dim
        self.show_progress_bar = show_progress_bar
        self.precision = precision

    @property
    def tfm(self) -> NativeSentenceModel:
        """The loaded model, as the original's ``SentenceTransformer`` attribute
        (loads it on first use)."""
        return NativeSentenceModel(self._encoder())

    def transform(self, X, y=None):
        """An (n_texts, dim) float32 array; one string gives one (dim,) vector,
        as the original (SentenceTransformer.encode) does."""
        if isinstance(X, str):
            return self._encoder().encode([X])[0]
        return super().transform(X, y)

    def _make(self):
        if self.device not in (None, "cpu") and str(self.device) != "cpu":
            raise ValueError(f"SentenceEncoder: device {self.device!r} is not supported; embetter runs on the CPU")
        name = os.fspath(self.name)
        settings = dict(
            batch_size=int(self.batch_size),
            normalize_embeddings=bool(self.normalize_embeddings),
            max_seq_length=int(self.max_seq_length or 0),
            truncate_dim=int(self.truncate_dim or 0),
            num_threads=int(self.num_threads or 0),
            show_progress_bar=bool(self.show_progress_bar),
            precision=self._precision(),
        )
        return _LOADED.get(name, settings)

    def _precision(self):
        return precision_of("SentenceEncoder", self.precision, self.quantize)


def MatryoshkaEncoder(name="tomaarsen/mpnet-base-nli-matryoshka", **kwargs):
    """A SentenceEncoder whose default model is a Matryoshka model; pass
    ``truncate_dim`` to keep the first dimensions only."""
    return SentenceEncoder(name=name, **kwargs)


def MatrouskaEncoder(name="tomaarsen/mpnet-base-nli-matryoshka", **kwargs):
    """Old spelling of MatryoshkaEncoder, kept for compatibility."""
    warnings.warn("Please use `MatryoshkaEncoder` instead of `MatrouskaEncoder`.", DeprecationWarning, stacklevel=2)
    return MatryoshkaEncoder(name=name, **kwargs)
