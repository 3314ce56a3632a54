"""External encoders: embeddings from web APIs (OpenAI, Azure OpenAI, Cohere,
Ollama) through their official client libraries, as the original embetter's.

Each client is an optional extra (``pip install embetter[openai]``,
``[cohere]``, ``[ollama]``); without it the encoder is a NotInstalled that
says which extra to install.
"""
from embetter.error import NotInstalled

try:
    from embetter.external._openai import AzureOpenAIEncoder, OpenAIEncoder
except ImportError:
    OpenAIEncoder = NotInstalled("OpenAIEncoder", "openai")
    AzureOpenAIEncoder = NotInstalled("AzureOpenAIEncoder", "openai")

try:
    from embetter.external._cohere import CohereEncoder
except ImportError:
    CohereEncoder = NotInstalled("CohereEncoder", "cohere")

try:
    from embetter.external._ollama import OllamaEncoder
except ImportError:
    OllamaEncoder = NotInstalled("OllamaEncoder", "ollama")

__all__ = ["CohereEncoder", "OpenAIEncoder", "AzureOpenAIEncoder", "OllamaEncoder"]
