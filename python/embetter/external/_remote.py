"""What the external encoders share: batching, checking the server's replies,
and errors that say which setting to fix.

The vectors come from a web API through its official client library; our C++
core is not involved. The client is made on first use (``fit`` or
``transform``), so the constructor only stores parameters, as scikit-learn
expects; it is dropped by ``set_params`` and when the encoder is pickled.
"""
from __future__ import annotations

import inspect

import numpy as np

from embetter._validation import as_text_list
from embetter.text._static import LazyEncoder


class Session:
    """The client, and the width of the vectors once the server has sent some."""

    def __init__(self, client):
        self.client = client
        self.dim = None


class RemoteEncoder(LazyEncoder):
    """An encoder whose vectors come from a web API, ``batch_size`` texts per request.

    Subclasses set ``key_help`` (which environment variables hold the API key,
    for the error on HTTP 401) and implement ``_make_client()`` and
    ``_embed(client, texts)``, which returns the batch's raw embeddings.
    """

    key_help = ""

    def _make_client(self):
        raise NotImplementedError

    def _embed(self, client, texts):
        raise NotImplementedError

    def _make(self):
        return Session(self._make_client())

    @property
    def client(self):
        """The API client (made on first use), as the original's ``.client``."""
        return self._encoder().client

    def transform(self, X, y=None):
        """An (n_texts, dim) float64 array: the server's vectors, in the order of X.

        The original returns float64 (numpy's default for the floats in the
        replies), and so does this encoder. X must hold at least one text:
        with none there is no request, so no width for an (0, dim) array.
        """
        name = type(self).__name__
        texts = as_text_list(X)
        if not texts:
            raise ValueError(f"{name}: X holds 0 texts; at least one is required "
                             "(the vector width is known only from the server's reply)")
        size = self.batch_size
        if isinstance(size, bool) or not isinstance(size, (int, np.integer)) or size < 1:
            raise ValueError(f"{name}: batch_size must be an integer of at least 1, got {size!r}")
        session = self._encoder()
        parts = []
        for start in range(0, len(texts), int(size)):
            batch = texts[start:start + int(size)]
            parts.append(self._read(self._request(session.client, batch, start), batch, start,
                                    parts[0].shape[1] if parts else None))
        session.dim = parts[0].shape[1]
        return np.concatenate(parts)

    def _request(self, client, batch, start):
        name = type(self).__name__
        try:
            return self._embed(client, batch)
        except (ValueError, TypeError) as e:  # the client could not parse the reply
            raise ValueError(f"{name}: the reply for texts {start}-{start + len(batch) - 1} is not what the API sends "
                             f"(expected one list of numbers per text): {e}") from e
        except Exception as e:
            if getattr(e, "status_code", None) == 401:
                raise PermissionError(f"{name}: the server refused the API key (HTTP 401). {self.key_help} "
                                      "A new key takes effect in a new encoder or after set_params().") from e
            raise

    def _read(self, vectors, batch, start, dim):
        """The batch's embeddings as a float64 (len(batch), dim) array, or a
        ValueError saying what the reply holds and what was expected."""
        name = type(self).__name__
        where = f"texts {start}-{start + len(batch) - 1}"
        if vectors is None or isinstance(vectors, (str, bytes, dict)) or not hasattr(vectors, "__len__"):
            raise ValueError(f"{name}: the reply for {where} holds no list of embeddings "
                             f"(got {type(vectors).__name__}); expected {len(batch)} lists of numbers")
        if len(vectors) != len(batch):
            raise ValueError(f"{name}: the server returned {len(vectors)} embeddings for {where}; "
                             f"expected {len(batch)}, one per text")
        try:
            rows = np.asarray(vectors)
        except ValueError:  # ragged
            rows = None
        if rows is None or rows.ndim != 2 or rows.dtype.kind not in "iuf":
            raise ValueError(f"{name}: {_first_fault(vectors, start)} in the reply for {where}; "
                             "expected lists of numbers, all of the same length")
        if rows.shape[1] == 0:
            raise ValueError(f"{name}: the server returned empty embeddings for {where}")
        if dim is not None and rows.shape[1] != dim:
            raise ValueError(f"{name}: the server returned embeddings of length {rows.shape[1]} for {where}, "
                             f"but of length {dim} for the texts before")
        return rows.astype(np.float64)

    def get_feature_names_out(self, input_features=None):
        """``<classname>0`` ... ``<classname>{dim-1}``, once a transform has told the width."""
        session = self._encoder()
        if session.dim is None:
            raise ValueError(f"{type(self).__name__}: the vector width is known only after a transform "
                             "(it comes from the server's reply)")
        prefix = type(self).__name__.lower()
        return np.asarray([f"{prefix}{i}" for i in range(session.dim)], dtype=object)


class KwargsEncoder(RemoteEncoder):
    """A RemoteEncoder whose extra keyword arguments go to the client's
    constructor. They are parameters like the named ones (``get_params``,
    ``set_params``, ``clone``); a key passed this way shows in ``repr``, so
    prefer the environment variable."""

    def _client_kwargs(self):
        return dict(self.__dict__.get("_kwargs", {}))

    def get_params(self, deep=True):
        return {**super().get_params(deep), **self._client_kwargs()}

    def set_params(self, **params):
        named = set(inspect.signature(type(self).__init__).parameters)
        extra = {k: params.pop(k) for k in list(params) if k not in named}
        self.__dict__["_kwargs"] = {**self._client_kwargs(), **extra}
        return super().set_params(**params)


def _first_fault(vectors, start):
    """Says what is wrong with the first embedding that is not a list of numbers
    of the first one's length."""
    width = None
    for i, v in enumerate(vectors):
        if isinstance(v, (str, bytes)) or not hasattr(v, "__len__"):
            return f"embedding {start + i} is a {type(v).__name__}, not a list of numbers"
        for x in v:
            if isinstance(x, (bool, np.bool_)) or not isinstance(x, (int, float, np.integer, np.floating)):
                return f"embedding {start + i} holds {x!r} ({type(x).__name__}), not a number"
        if width is None:
            width = len(v)
        elif len(v) != width:
            return f"embedding {start + i} has {len(v)} values where embedding {start} has {width}"
    return "the embeddings are not a 2-D table of numbers"
