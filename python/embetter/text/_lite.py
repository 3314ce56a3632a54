"""The lite encoder: TF-IDF followed by randomized truncated SVD, no pretrained weights.

Besides its own safetensors files, LiteTextEncoder(path) reads the .skops files
the original embetter's learn_lite_text_embeddings wrote (a scikit-learn
Pipeline of TfidfVectorizer and TruncatedSVD, saved with skops.io.dump)."""
from __future__ import annotations

import itertools as it
import json
import os

import numpy as np
from sklearn.base import BaseEstimator, TransformerMixin
from sklearn.utils.validation import check_is_fitted

from embetter import _core
from embetter._estimator import CoreBacked, seed_of
from embetter._validation import as_text_list
from embetter.error import NotInstalled

_SKOPS_MAGIC = b"PK\x03\x04"  # a skops file is a zip archive

# Types that skops.io.get_untrusted_types may list for the original's pipeline
# and that we let skops.io.load build. skops 0.16 trusts all of these by
# default (it lists none for the original's files); older versions listed some.
# Every other listed type (a function, a class of another library) is refused.
_SKOPS_TRUSTED = frozenset({
    "sklearn.pipeline.Pipeline",
    "sklearn.feature_extraction.text.TfidfVectorizer",
    "sklearn.feature_extraction.text.TfidfTransformer",  # TfidfVectorizer's inner _tfidf
    "sklearn.decomposition._truncated_svd.TruncatedSVD",
    "numpy.dtype",
    "numpy.float16",
    "numpy.float32",
    "numpy.float64",
})

# TfidfVectorizer options that act at transform time, with the only value our
# C++ TF-IDF implements (include/embetter/tfidf.h: the default analyzer).
# lowercase, sublinear_tf and use_idf are native options; smooth_idf, min_df,
# max_df, max_features and vocabulary act only in fit, which idf_ and
# vocabulary_ already record.
_NATIVE_TFIDF = {
    "input": "content",
    "strip_accents": None,
    "preprocessor": None,
    "tokenizer": None,
    "analyzer": "word",
    "stop_words": None,
    "token_pattern": r"(?u)\b\w\w+\b",
    "ngram_range": (1, 1),
    "binary": False,
    "norm": "l2",
}

# Metadata keys of our format (src/text/lite_text_encoder.cc: kModelKey, kFormatKey).
_FORMAT_METADATA = {"embetter.model": "LiteTextEncoder", "embetter.format_version": "1"}


class LiteTextEncoder(CoreBacked, TransformerMixin, BaseEstimator):
    """Dense text vectors from TF-IDF + truncated SVD.

    ``LiteTextEncoder(path)`` loads a model saved by ``learn_lite_text_embeddings``
    (or ``save``), as in the original. ``LiteTextEncoder(dim=...)`` is an
    unfitted encoder that ``fit`` learns from a list of texts.

    ``path`` may also be a ``.skops`` file written by the original embetter
    (recognised by its content, not its suffix; needs ``pip install
    embetter[skops]``). It is loaded without trusting arbitrary types: only a
    Pipeline of a fitted TfidfVectorizer then a TruncatedSVD is accepted. When
    every TfidfVectorizer option is one our C++ TF-IDF implements (the default
    word analyzer and token pattern, ngram_range (1, 1), l2 norm; lowercase,
    sublinear_tf, use_idf and the fit-time options may be anything), it is
    converted to our native model; otherwise (e.g. ``analyzer="char"``) the
    scikit-learn pipeline itself computes ``transform``, and ``save`` refuses.

    Unlike the original's Pipeline, which returns float64, ``transform``
    returns float32 in both cases; it matches the original's numbers within
    ~1e-6 (float16 idf and components are exact in float32).

    Args:
        path: a saved model to load (optional).
        dim: number of SVD components.
        lite: store idf and components in float16 precision, as the original's
            ``lite=True`` does.
        random_state: seed of the randomized SVD.
        sublinear_tf, min_df, max_df, max_features: TfidfVectorizer options.
    """

    _core_class = _core.LiteTextEncoder

    def __init__(self, path=None, dim=300, lite=True, random_state=None, sublinear_tf=False, min_df=1, max_df=1.0,
                 max_features=None):
        self.path = path
        self.dim = dim
        self.lite = lite
        self.random_state = random_state
        self.sublinear_tf = sublinear_tf
        self.min_df = min_df
        self.max_df = max_df
        self.max_features = max_features

    def fit(self, X, y=None):
        """Learns the vocabulary, idf and SVD from the texts X."""
        if self.path is not None:
            return self._load()  # a saved model is used as is, like a pretrained encoder
        texts = as_text_list(X)
        if not texts:
            raise ValueError("LiteTextEncoder.fit: expected at least one text, got none")
        # Fitted aside: an interrupted fit (Ctrl-C) keeps the model fitted before.
        model = _core.LiteTextEncoder(
            dim=int(self.dim),
            lite=bool(self.lite),
            random_state=seed_of(self.random_state),
            sublinear_tf=bool(self.sublinear_tf),
            min_df=float(self.min_df),
            max_df=float(self.max_df),
            max_features=None if self.max_features is None else int(self.max_features),
        )
        model.fit(texts)
        self._model = model
        return self

    def partial_fit(self, X, y=None, classes=None):
        return self if hasattr(self, "_model") else self.fit(X)

    def transform(self, X, y=None):
        """An (n_texts, dim) float32 array."""
        if self.path is not None and not hasattr(self, "_model"):
            self._load()
        check_is_fitted(self, "_model")
        return self._model.transform(as_text_list(X))

    def _load(self):
        path = os.fspath(self.path)
        if _is_skops(path):
            self._model = _load_skops(path)
        else:
            self._model = _core.LiteTextEncoder.load(path)
        return self

    def save(self, path):
        """Writes the fitted model to one safetensors file (atomically)."""
        check_is_fitted(self, "_model")
        self._model.save(os.fspath(path))

    def get_feature_names_out(self, input_features=None):
        """``litetextencoder0`` ... ``litetextencoder{dim-1}``."""
        if self.path is not None and not hasattr(self, "_model"):
            self._load()
        check_is_fitted(self, "_model")
        return np.asarray([f"litetextencoder{i}" for i in range(self._model.dim)], dtype=object)

    def __getstate__(self):
        if isinstance(self.__dict__.get("_model"), _SklearnLitePipeline):
            return self.__dict__.copy()  # the scikit-learn pipeline pickles itself
        return super().__getstate__()

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.transformer_tags.preserves_dtype = []  # text in, float32 out
        return tags


class _SklearnLitePipeline:
    """The original's pipeline, read from a skops file, for TfidfVectorizer
    options our C++ TF-IDF lacks: transform is scikit-learn's, cast to float32."""

    def __init__(self, pipeline, path, unsupported):
        self.pipeline = pipeline
        self.path = path
        self.unsupported = unsupported

    @property
    def dim(self):
        return int(self.pipeline.steps[1][1].components_.shape[0])

    def transform(self, texts):
        if not texts:
            raise ValueError("LiteTextEncoder.transform: texts is empty; expected at least one text")
        return np.asarray(self.pipeline.transform(texts), dtype=np.float32)

    def save(self, path):
        raise ValueError(
            f"LiteTextEncoder.save: this encoder runs the scikit-learn pipeline read from {self.path}, whose "
            f"TfidfVectorizer options {self.unsupported} our safetensors format cannot hold; "
            "keep using that skops file")


def _is_skops(path):
    try:
        with open(path, "rb") as f:
            return f.read(len(_SKOPS_MAGIC)) == _SKOPS_MAGIC
    except OSError:
        return False  # the native loader reports the missing or unreadable file


def _load_skops(path):
    """The original's skops file as our native model, or as its own pipeline
    when its TfidfVectorizer has options our C++ TF-IDF lacks."""
    try:
        import safetensors.numpy  # noqa: F401  (writes the native model's bytes)
        import skops.io
    except ImportError:
        NotInstalled("LiteTextEncoder (reading the original embetter's .skops files)", "skops")()

    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    from sklearn.pipeline import Pipeline

    # skops raises many kinds of errors on a damaged archive (BadZipFile,
    # KeyError, JSONDecodeError, ...); each becomes one error naming the file.
    try:
        untrusted = skops.io.get_untrusted_types(file=path)
    except Exception as e:
        raise _core.ModelLoadError(f"{path}: not a readable skops file ({type(e).__name__}: {e})") from e
    unexpected = sorted(set(untrusted) - _SKOPS_TRUSTED)
    if unexpected:
        raise _core.ModelLoadError(
            f"{path}: the skops file holds types we do not load: {unexpected}; expected only a scikit-learn Pipeline "
            f"of TfidfVectorizer and TruncatedSVD, as the original embetter's learn_lite_text_embeddings writes")
    try:
        pipe = skops.io.load(path, trusted=untrusted)
    except Exception as e:
        raise _core.ModelLoadError(f"{path}: not a readable skops file ({type(e).__name__}: {e})") from e

    steps = [type(step).__name__ for _, step in pipe.steps] if isinstance(pipe, Pipeline) else None
    if (steps is None or len(pipe.steps) != 2 or type(pipe.steps[0][1]) is not TfidfVectorizer
            or type(pipe.steps[1][1]) is not TruncatedSVD):
        kind = type(pipe)
        found = f"a Pipeline of {steps}" if steps is not None else f"a {kind.__module__}.{kind.__qualname__}"
        raise _core.ModelLoadError(
            f"{path}: the skops file holds {found}; expected a Pipeline of TfidfVectorizer then TruncatedSVD, "
            f"as the original embetter's learn_lite_text_embeddings writes")
    tfidf, svd = pipe.steps[0][1], pipe.steps[1][1]
    if not hasattr(tfidf, "vocabulary_") or not hasattr(svd, "components_"):
        raise _core.ModelLoadError(f"{path}: the pipeline in the skops file is not fitted")
    n_terms, components = len(tfidf.vocabulary_), np.asarray(svd.components_)
    if components.ndim != 2 or components.shape[1] != n_terms:
        raise _core.ModelLoadError(f"{path}: TruncatedSVD.components_ has shape {components.shape}; the "
                                   f"TfidfVectorizer's vocabulary of {n_terms} terms implies [dim, {n_terms}]")

    unsupported = _unsupported_tfidf_options(tfidf)
    if unsupported:
        return _SklearnLitePipeline(pipe, path, unsupported)
    try:
        return _core.LiteTextEncoder.from_bytes(_native_bytes(tfidf, svd))
    except ValueError as e:
        raise _core.ModelLoadError(f"{path}: {e}") from e


def _unsupported_tfidf_options(tfidf):
    """{option: value} for each TfidfVectorizer option our C++ TF-IDF does not implement."""
    params = tfidf.get_params()
    out = {}
    for name, native in _NATIVE_TFIDF.items():
        value = params.get(name, native)
        if (tuple(value) if name == "ngram_range" else value) != native:
            out[name] = value
    try:
        dtype_ok = np.dtype(params.get("dtype", np.float64)) in (np.float32, np.float64)
    except TypeError:
        dtype_ok = False
    if not dtype_ok:
        out["dtype"] = params["dtype"]
    return out


def _native_bytes(tfidf, svd):
    """Our safetensors format (src/text/lite_text_encoder.cc: to_writer) for a
    fitted TfidfVectorizer + TruncatedSVD. Terms are sorted by code point, as
    our vectorizer keeps them; idf and the component columns follow."""
    import safetensors.numpy

    vocabulary = tfidf.vocabulary_
    terms = sorted(vocabulary)
    columns = np.fromiter((vocabulary[t] for t in terms), dtype=np.intp, count=len(terms))
    components = np.asarray(svd.components_)
    tensors = {"components": np.ascontiguousarray(components[:, columns], dtype=np.float32)}
    if tfidf.use_idf:
        tensors["idf"] = np.ascontiguousarray(np.asarray(tfidf.idf_)[columns], dtype=np.float32)
    random_state = svd.random_state
    params = {
        "dim": int(components.shape[0]),
        "lite": bool(components.dtype == np.float16 and (not tfidf.use_idf or tfidf.idf_.dtype == np.float16)),
        "random_state": seed_of(random_state) if isinstance(random_state, (int, np.integer)) else None,
        "lowercase": bool(tfidf.lowercase),
        "sublinear_tf": bool(tfidf.sublinear_tf),
        "smooth_idf": bool(tfidf.smooth_idf),
        "use_idf": bool(tfidf.use_idf),
        "min_df": float(tfidf.min_df),
        "max_df": float(tfidf.max_df),
        "max_features": None if tfidf.max_features is None else int(tfidf.max_features),
    }
    metadata = dict(_FORMAT_METADATA, params=json.dumps(params), vocabulary=json.dumps(terms, ensure_ascii=False))
    return safetensors.numpy.save(tensors, metadata=metadata)


def learn_lite_text_embeddings(text_stream, dim=300, lite=True, path=None, **kwargs):
    """Learns a LiteTextEncoder from a stream of texts (and saves it to ``path`` if given).

    Unlike the original, which returns a scikit-learn Pipeline and saves it with
    skops, this returns our LiteTextEncoder (float32 output) and saves one
    safetensors file; ``LiteTextEncoder(path)`` reads both kinds of file.

    Args:
        text_stream: any iterable of strings (a generator is fine).
        dim: number of SVD components.
        lite: float16 precision for the stored idf and components.
        path: where to save the model (optional).
        **kwargs: TfidfVectorizer options (sublinear_tf, min_df, max_df, max_features)
            and random_state.
    """
    enc = LiteTextEncoder(dim=dim, lite=lite, **kwargs).fit(list(it.chain(text_stream)))
    if path:
        enc.save(path)
    return enc
