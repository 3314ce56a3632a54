"""SentenceEncoder: sentence-transformers models run natively by the C++ core."""
from __future__ import annotations

import os
import threading
import warnings
from collections import OrderedDict

import numpy as np

from embetter import _core
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


# Loaded models, shared by every SentenceEncoder of this process with the same
# model and settings. A SentenceEncoder pickles as its name and settings only
# (LazyEncoder.__getstate__ drops the weights), so Dask, joblib or
# multiprocessing hand each task a fresh copy; without this cache every task
# (every partition of a dask dataframe) would load the weights again. Sharing
# is safe: the C++ model is immutable after load and its encode() is
# thread-safe. At most _LOADED_MAX models are kept (least recently used out),
# so a process that tries many models does not hold them all.
_LOADED: OrderedDict = OrderedDict()
_LOADED_MAX = 4
_LOADED_LOCK = threading.Lock()  # one load per key when a worker runs several threads
# What the C++ resolver reads to turn a hub id into a folder (src/hub/).
_HUB_ENV = ("HOME", "HF_HOME", "XDG_CACHE_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "VIRTUAL_ENV",
            "EMBETTER_PYTHON_SITE")


def _model_key(name: str):
    """Which model files `name` means now: a local folder by its real path and
    its files' sizes and times (a model saved again into the same folder is
    loaded again, not served stale); a hub id by the environment that resolves it."""
    if os.path.isdir(name):
        root = os.path.realpath(name)
        files = []
        for folder, _, names in os.walk(root):
            for file in names:
                st = os.stat(os.path.join(folder, file))
                files.append((os.path.relpath(os.path.join(folder, file), root), st.st_size, st.st_mtime_ns))
        return ("folder", root, tuple(sorted(files)))
    return ("hub", name, tuple(os.environ.get(v) for v in _HUB_ENV))


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
        key = (_model_key(name), tuple(sorted(settings.items())))
        with _LOADED_LOCK:
            enc = _LOADED.get(key)
            if enc is None:
                enc = _core.SentenceEncoder(name, **settings)  # errors are raised, never cached
                _LOADED[key] = enc
                while len(_LOADED) > _LOADED_MAX:
                    _LOADED.popitem(last=False)
            _LOADED.move_to_end(key)
            return enc

    def _precision(self):
        if not isinstance(self.precision, str):
            raise ValueError(f"SentenceEncoder: precision must be 'fp32' or 'int8', got {self.precision!r}")
        if self.quantize and self.precision == "fp32":
            return "int8"
        if self.quantize and self.precision != "int8":
            raise ValueError(f"SentenceEncoder: quantize=True asks for int8, but precision is {self.precision!r}")
        return self.precision


def MatryoshkaEncoder(name="tomaarsen/mpnet-base-nli-matryoshka", **kwargs):
    """A SentenceEncoder whose default model is a Matryoshka model; pass
    ``truncate_dim`` to keep the first dimensions only."""
    return SentenceEncoder(name=name, **kwargs)


def MatrouskaEncoder(name="tomaarsen/mpnet-base-nli-matryoshka", **kwargs):
    """Old spelling of MatryoshkaEncoder, kept for compatibility."""
    warnings.warn("Please use `MatryoshkaEncoder` instead of `MatrouskaEncoder`.", DeprecationWarning, stacklevel=2)
    return MatryoshkaEncoder(name=name, **kwargs)
