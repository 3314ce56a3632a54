"""OllamaEncoder: embeddings from an Ollama server through the ``ollama``
client (the optional extra ``embetter[ollama]``)."""
from __future__ import annotations

import ollama

from embetter.external._remote import KwargsEncoder


class OllamaEncoder(KwargsEncoder):
    """Encodes texts with an embedding model served by Ollama (``/api/embed``),
    ``batch_size`` texts per request.

    The server is ``host`` (``OLLAMA_HOST`` is not read, since ``host`` always
    has a value, as in the original). A server that wants a key (ollama.com)
    gets ``OLLAMA_API_KEY`` as a Bearer token, sent by the ``ollama`` client.
    The ollama client does not retry: a 429 or 5xx reply raises
    ``ollama.ResponseError`` at once, and an unreachable server
    ``ConnectionError``. A refused key (HTTP 401) raises ``PermissionError``
    naming the variable; a reply that does not hold one vector per text, of
    numbers, all of one length, raises ``ValueError``.

    As in the original, ``transform`` returns float64. It takes a list
    (tuple, array, pandas Series) of strings: a single string raises
    ``TypeError``, an empty list ``ValueError`` (the original returns None).
    The client is made on first use, not in the constructor.

    Args:
        model: the model's name on the server, e.g. ``"nomic-embed-text"``.
        host: the server's address.
        batch_size: texts per request.
        **kwargs: ours: passed to ``ollama.Client`` (``headers``,
            ``timeout``, and httpx.Client's other arguments).
    """

    key_help = "Set OLLAMA_API_KEY to a valid key (or pass headers={'Authorization': 'Bearer ...'})."

    def __init__(self, model, host="http://localhost:11434", batch_size=25, **kwargs):
        self.model = model
        self.host = host
        self.batch_size = batch_size
        self._kwargs = kwargs

    def _make_client(self):
        return ollama.Client(host=self.host, **self._client_kwargs())

    def _embed(self, client, texts):
        return getattr(client.embed(model=self.model, input=texts), "embeddings", None)
