"""OpenAIEncoder and AzureOpenAIEncoder: embeddings from OpenAI's API through
the ``openai`` client (the optional extra ``embetter[openai]``)."""
from __future__ import annotations

import openai

from embetter.external._remote import KwargsEncoder


class OpenAIEncoder(KwargsEncoder):
    """Encodes texts with an OpenAI embedding model, ``batch_size`` texts per request.

    The ``openai`` client reads the API key from ``OPENAI_API_KEY`` (and,
    when set, ``OPENAI_ORG_ID``, ``OPENAI_PROJECT_ID`` and ``OPENAI_BASE_URL``,
    the address of an OpenAI-compatible server). It retries a 408, 409, 429
    or 5xx reply itself (2 retries by default, honouring ``Retry-After``;
    pass ``max_retries=`` to change that). A refused key (HTTP 401) raises
    ``PermissionError`` naming the variable; a reply that does not hold one
    vector per text, of numbers, all of one length, raises ``ValueError``.

    As in the original, ``transform`` returns float64 (the server's float32
    values, widened). It takes a list (tuple, array, pandas Series) of
    strings: a single string raises ``TypeError`` (the original would embed
    it letter by letter), an empty list ``ValueError``. The client is made on
    first use, not in the constructor (the original's), so a missing key
    shows in ``fit`` or ``transform``. The original shows no progress bar,
    nor does this.

    Args:
        model: the embedding model, e.g. ``"text-embedding-3-small"``.
        batch_size: texts per request.
        **kwargs: ours: passed to ``openai.OpenAI`` (``api_key``,
            ``base_url``, ``max_retries``, ``timeout``, ...); the original
            takes none.
    """

    key_help = "Set OPENAI_API_KEY to a valid key (or pass api_key=...)."

    def __init__(self, model="text-embedding-ada-002", batch_size=25, **kwargs):
        self.model = model
        self.batch_size = batch_size
        self._kwargs = kwargs

    def _make_client(self):
        return openai.OpenAI(**self._client_kwargs())

    def _embed(self, client, texts):
        data = getattr(client.embeddings.create(input=texts, model=self.model), "data", None)
        if data is None:
            return None
        items = list(data)
        order = [getattr(item, "index", None) for item in items]
        if all(isinstance(i, int) for i in order) and len(order) == len(texts):
            if sorted(order) != list(range(len(texts))):
                raise ValueError(f"the embeddings' indices are {order}; expected each of 0-{len(texts) - 1} once")
            items = [items[j] for j in sorted(range(len(items)), key=order.__getitem__)]
        return [getattr(item, "embedding", None) for item in items]


class AzureOpenAIEncoder(OpenAIEncoder):
    """Encodes texts with an embedding model deployed on Azure OpenAI.

    As OpenAIEncoder, through ``openai.AzureOpenAI``, which takes its
    settings from the keyword arguments or the environment: the key from
    ``AZURE_OPENAI_API_KEY`` (or a token from ``AZURE_OPENAI_AD_TOKEN``), the
    resource from ``AZURE_OPENAI_ENDPOINT`` and the API version from
    ``OPENAI_API_VERSION``. ``model`` is the deployment's name (the request
    goes to ``/openai/deployments/<model>/embeddings``) unless
    ``azure_deployment`` is given. The key is sent as the ``api-key`` header.

    The original's constructor is misnamed (``_init_``), so there the
    keyword arguments are refused and a plain OpenAI client is made; ours
    makes the Azure client its documentation describes.

    Args:
        model: the deployment (or model) name.
        batch_size: texts per request.
        **kwargs: passed to ``openai.AzureOpenAI`` (``api_key``,
            ``azure_endpoint``, ``api_version``, ``azure_deployment``,
            ``max_retries``, ...).
    """

    key_help = "Set AZURE_OPENAI_API_KEY to a valid key (or AZURE_OPENAI_AD_TOKEN, or pass api_key=...)."

    def _make_client(self):
        return openai.AzureOpenAI(**self._client_kwargs())
