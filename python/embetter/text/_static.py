"""Static-vector encoders: model2vec models (TextEncoder) and BPEmb (BytePairEncoder)."""
from __future__ import annotations

import os

import numpy as np

from embetter import _core
from embetter._validation import as_text_list
from embetter.text._bpemb_files import bpemb_files
from embetter.base import EmbetterBase


class LazyEncoder(EmbetterBase):
    """A pretrained encoder: ``fit`` learns nothing but loads the model (so that a
    bad name fails early); ``transform`` loads it on first use when ``fit`` was
    skipped. The loaded model is dropped when pickled and by ``set_params``."""

    def _make(self):
        raise NotImplementedError

    def _encoder(self):
        enc = self.__dict__.get("_enc")
        if enc is None:
            enc = self.__dict__["_enc"] = self._make()
        return enc

    def fit(self, X, y=None):
        """Checks that X is a list of texts and loads the model; learns nothing."""
        as_text_list(X)
        self._encoder()
        return self

    def transform(self, X, y=None):
        """An (n_texts, dim) float32 array."""
        return self._encoder().encode(as_text_list(X))

    def set_params(self, **params):
        self.__dict__.pop("_enc", None)  # built from the old parameters
        return super().set_params(**params)

    def get_feature_names_out(self, input_features=None):
        """``<classname>0`` ... ``<classname>{dim-1}`` (loads the model to learn dim)."""
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(self._encoder().dim)], dtype=object)

    def __getstate__(self):
        state = self.__dict__.copy()
        state.pop("_enc", None)
        return state

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        tags.transformer_tags.preserves_dtype = []  # text in, float32 out
        return tags


class TextEncoder(LazyEncoder):
    """A model2vec static model: the mean of its token vectors.

    Args:
        model: model folder or hub id (default ``minishlab/potion-base-8M``),
            or a model2vec ``StaticModel`` object, as the original accepts (it
            is saved to a temporary folder and loaded natively from there).
    """

    def __init__(self, model="minishlab/potion-base-8M"):
        self.model = model

    def _make(self):
        if isinstance(self.model, (str, os.PathLike)):
            return _core.TextEncoder(os.fspath(self.model))
        if type(self.model).__name__ == "StaticModel" and hasattr(self.model, "save_pretrained"):
            import tempfile

            with tempfile.TemporaryDirectory(prefix="embetter-model2vec-") as folder:
                self.model.save_pretrained(folder)
                return _core.TextEncoder(folder)
        raise TypeError(
            f"TextEncoder: model must be a model folder, a hub id or a model2vec StaticModel, "
            f"got {type(self.model).__name__}"
        )


class BytePairEncoder(LazyEncoder):
    """BPEmb subword vectors (a SentencePiece model and word2vec vectors), pooled per text.

    The original embetter's parameters: ``BytePairEncoder(lang, vs=1000, dim=25,
    agg="mean", cache_dir=None)`` finds BPEmb's files for that language,
    vocabulary size and dimension in ``cache_dir`` (default ``~/.cache/bpemb``,
    the ``bpemb`` package's), downloading them from BPEmb
    (``$EMBETTER_BPEMB_ENDPOINT``, default https://bpemb.h-its.org) only when
    they are missing. ``model_file`` and ``vectors_file`` name the two files
    directly instead (then ``lang`` is not needed and nothing is downloaded).

    Args:
        lang: BPEmb language code ("en", "de", "multi", ...).
        vs: vocabulary size (number of subword pieces).
        dim: vector dimension.
        agg: how a text's subword vectors become one: "mean", "max" (per
            dimension), or "both": the mean followed by the max (twice the
            width). The original embetter documents "both" the same way, but
            its code concatenates the max twice; we follow the documentation.
            A text without subwords gets zeros.
        cache_dir: folder of BPEmb's files (one subfolder per language).
        model_file: the SentencePiece ``.model`` file.
        vectors_file: the word2vec binary ``.w2v.bin`` file.
    """

    AGGREGATIONS = ("mean", "max", "both")

    def __init__(self, lang=None, vs=1000, dim=25, agg="mean", cache_dir=None, model_file=None, vectors_file=None):
        self.lang = lang
        self.vs = vs
        self.dim = dim
        self.agg = agg
        self.cache_dir = cache_dir
        self.model_file = model_file
        self.vectors_file = vectors_file

    def _files(self):
        given = (self.model_file is not None, self.vectors_file is not None)
        if given == (True, True):
            return self.model_file, self.vectors_file
        if any(given):
            raise ValueError("BytePairEncoder: pass both `model_file` and `vectors_file`, or neither (then `lang`)")
        if self.lang is None:
            raise ValueError("BytePairEncoder: `lang` is required (a BPEmb language code such as 'en'), "
                             "unless `model_file` and `vectors_file` are given")
        return bpemb_files(self.lang, self.vs, self.dim, self.cache_dir)

    def _make(self):
        if self.agg not in self.AGGREGATIONS:
            raise ValueError(f"BytePairEncoder: the `agg` value must be in {list(self.AGGREGATIONS)}; got {self.agg!r}")
        model_file, vectors_file = self._files()
        return _core.BytePairEncoder(os.fspath(model_file), os.fspath(vectors_file), agg=self.agg)
