"""CohereEncoder: embeddings from Cohere's API through the ``cohere`` client
(the optional extra ``embetter[cohere]``)."""
from __future__ import annotations

import os

import cohere

from embetter.external._remote import KwargsEncoder

# The model names the original documents. Its call to the client never passed
# `model` on, so Cohere used its default model whatever was given; these two
# names keep doing that (Cohere no longer serves models by these names).
LEGACY_MODELS = ("small", "large")


class CohereEncoder(KwargsEncoder):
    """Encodes texts with a Cohere embedding model (the v1 ``/v1/embed`` API),
    ``batch_size`` texts per request.

    The API key is read, as in the original, from ``COHERE_KEY``; when that is
    not set, the ``cohere`` client reads ``CO_API_KEY`` (or
    ``COHERE_API_KEY``). ``CO_API_URL`` sets the server's address (read when
    the encoder first connects; the client itself reads it only when
    imported). The client retries a 408, 409, 429 or 5xx reply itself (2
    retries by default, honouring ``Retry-After``; ``max_retries=`` changes
    that). A refused or missing key raises ``PermissionError`` naming the
    variables; a reply that does not hold one vector per text, of numbers,
    all of one length, raises ``ValueError``.

    As in the original, ``transform`` returns float64. It takes a list
    (tuple, array, pandas Series) of strings: a single string raises
    ``TypeError``, an empty list ``ValueError``. The client is made on first
    use, not in the constructor. Cohere takes at most 96 texts per request;
    the client splits a larger batch itself.

    Args:
        model: the embedding model, e.g. ``"embed-english-v3.0"``. The
            original's ``"small"`` and ``"large"`` (default) are not sent, so
            the server's default model answers, as with the original.
        batch_size: texts per request.
        input_type: ours: Cohere's ``input_type`` (``"search_document"``,
            ``"search_query"``, ``"classification"``, ``"clustering"``), which
            v3 models require; not sent when None.
        **kwargs: ours: passed to ``cohere.Client`` (``api_key``,
            ``base_url``, ``max_retries``, ``timeout``, ...).
    """

    key_help = "Set COHERE_KEY (read by embetter, as the original) or CO_API_KEY (read by the cohere client)."

    def __init__(self, model="large", batch_size=10, input_type=None, **kwargs):
        self.model = model
        self.batch_size = batch_size
        self.input_type = input_type
        self._kwargs = kwargs

    def _make_client(self):
        kwargs = self._client_kwargs()
        kwargs.setdefault("base_url", os.getenv("CO_API_URL"))
        key = kwargs.pop("api_key", None) or os.getenv("COHERE_KEY")
        if not (key or os.getenv("CO_API_KEY") or os.getenv("COHERE_API_KEY")):
            raise PermissionError(f"CohereEncoder: no API key. {self.key_help}")
        return cohere.Client(key, **kwargs)

    def _embed(self, client, texts):
        request = {"texts": texts}
        if self.model not in LEGACY_MODELS:
            request["model"] = self.model
        if self.input_type is not None:
            request["input_type"] = self.input_type
        embeddings = getattr(client.embed(**request), "embeddings", None)
        return getattr(embeddings, "float_", embeddings)  # a by-type reply keeps the floats in .float_
