"""embetter.external against real HTTP servers on 127.0.0.1 that speak each API.

Every encoder reaches the fake server the way a user would point it elsewhere:
OpenAIEncoder through OPENAI_BASE_URL (the original's class takes no base
URL), AzureOpenAIEncoder through azure_endpoint= (a client argument it passes
on), CohereEncoder through CO_API_URL, OllamaEncoder through host=. The server
records each request (path, headers, JSON body), so the tests see the batches,
the model name and the key as they travel. No network is needed.
"""
from __future__ import annotations

import base64
import importlib
import importlib.util
import json
import pickle
import struct
import sys
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import numpy as np
import pytest
from sklearn.base import clone

import embetter
import embetter.external  # noqa: F401  (imported once here, so the NotInstalled test can restore it)
from conftest import require_module
from embetter.error import NotInstalled

# cohere's own models use a pydantic attribute that pydantic 2 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:The `__fields__` attribute is deprecated")

TEXTS = ["alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf"]


def vector(text):
    """The fake server's embedding of a text: exact in float32, different per text."""
    return [float(len(text)), ord(text[0]) / 4.0, ord(text[-1]) / 8.0]


def expected(texts):
    return np.array([vector(t) for t in texts], dtype=np.float64)


class FakeAPI:
    """A ThreadingHTTPServer on 127.0.0.1 (port 0). It answers each POST with
    the next queued reply if there is one, otherwise with ``answer(path, body)``;
    every request is recorded as (path, headers with lower-case names, JSON body)."""

    def __init__(self, answer):
        self.answer = answer
        self.requests = []
        self.queued = []
        self._lock = threading.Lock()
        api = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"null")
                with api._lock:
                    api.requests.append((self.path, {k.lower(): v for k, v in self.headers.items()}, body))
                    status, headers, reply = api.queued.pop(0) if api.queued else (200, {}, api.answer(self.path, body))
                data = json.dumps(reply).encode()
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.01,), daemon=True)
        self.thread.start()

    def queue(self, status, body, headers=None):
        self.queued.append((status, headers or {}, body))

    def close(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


# ---- what each API answers ---------------------------------------------------------------------

def openai_answer(path, body):
    def encode(v):  # the client asks for base64 (little-endian float32) unless told otherwise
        return base64.b64encode(struct.pack(f"<{len(v)}f", *v)).decode() if body.get("encoding_format") == "base64" else v

    data = [{"object": "embedding", "index": i, "embedding": encode(vector(t))} for i, t in enumerate(body["input"])]
    return {"object": "list", "model": body["model"], "data": data, "usage": {"prompt_tokens": 1, "total_tokens": 1}}


def cohere_answer(path, body):
    return {"id": "r1", "response_type": "embeddings_floats", "texts": body["texts"],
            "embeddings": [vector(t) for t in body["texts"]], "meta": {"api_version": {"version": "1"}}}


def ollama_answer(path, body):
    return {"model": body["model"], "embeddings": [vector(t) for t in body["input"]]}


def openai_reply(vectors):
    return {"object": "list", "model": "m", "data": [{"object": "embedding", "index": i, "embedding": v}
                                                     for i, v in enumerate(vectors)],
            "usage": {"prompt_tokens": 1, "total_tokens": 1}}


def cohere_reply(vectors):
    return {"id": "r1", "response_type": "embeddings_floats", "texts": [], "embeddings": vectors, "meta": {}}


def ollama_reply(vectors):
    return {"model": "m", "embeddings": vectors}


# ---- one entry per encoder: how a user points it at the server and what arrives -----------------

def make_openai(url, env, **params):
    from embetter.external import OpenAIEncoder

    env.setenv("OPENAI_API_KEY", "sk-test-key")
    env.setenv("OPENAI_BASE_URL", url + "/v1")
    return OpenAIEncoder(**params)


def make_azure(url, env, **params):
    from embetter.external import AzureOpenAIEncoder

    env.setenv("AZURE_OPENAI_API_KEY", "az-test-key")
    env.setenv("OPENAI_API_VERSION", "2024-06-01")
    return AzureOpenAIEncoder(**{"model": "my-deployment", "azure_endpoint": url, **params})


def make_cohere(url, env, **params):
    from embetter.external import CohereEncoder

    env.setenv("COHERE_KEY", "co-test-key")
    env.setenv("CO_API_URL", url)
    return CohereEncoder(**{"model": "embed-english-v3.0", **params})


def make_ollama(url, env, **params):
    from embetter.external import OllamaEncoder

    env.setenv("OLLAMA_API_KEY", "ol-test-key")
    return OllamaEncoder(**{"model": "nomic-embed-text", "host": url, **params})


PROVIDERS = {
    # name: (client module, make, answer, reply builder, path, key header, key value, texts key, model)
    "openai": ("openai", make_openai, openai_answer, openai_reply, "/v1/embeddings",
               "authorization", "Bearer sk-test-key", "input", "text-embedding-ada-002"),
    "azure": ("openai", make_azure, openai_answer, openai_reply,
              "/openai/deployments/my-deployment/embeddings?api-version=2024-06-01",
              "api-key", "az-test-key", "input", "my-deployment"),
    "cohere": ("cohere", make_cohere, cohere_answer, cohere_reply, "/v1/embed",
               "authorization", "Bearer co-test-key", "texts", "embed-english-v3.0"),
    "ollama": ("ollama", make_ollama, ollama_answer, ollama_reply, "/api/embed",
               "authorization", "Bearer ol-test-key", "input", "nomic-embed-text"),
}
KEY_VARIABLE = {"openai": "OPENAI_API_KEY", "azure": "AZURE_OPENAI_API_KEY", "cohere": "COHERE_KEY",
                "ollama": "OLLAMA_API_KEY"}
CLIENT_OF = {"OpenAIEncoder": "openai", "AzureOpenAIEncoder": "openai", "CohereEncoder": "cohere",
             "OllamaEncoder": "ollama"}
CLASS_NAME = {"openai": "OpenAIEncoder", "azure": "AzureOpenAIEncoder", "cohere": "CohereEncoder",
              "ollama": "OllamaEncoder"}


@pytest.fixture
def env(monkeypatch):
    """No API settings or proxies from the machine's environment."""
    for name in ("OPENAI_API_KEY", "OPENAI_BASE_URL", "OPENAI_ORG_ID", "OPENAI_PROJECT_ID", "OPENAI_ADMIN_KEY",
                 "OPENAI_API_VERSION", "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "AZURE_OPENAI_ENDPOINT",
                 "COHERE_KEY", "CO_API_KEY", "COHERE_API_KEY", "CO_API_URL", "OLLAMA_API_KEY", "OLLAMA_HOST",
                 "HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


@pytest.fixture(params=list(PROVIDERS))
def provider(request, env):
    module, make, answer, reply, *rest = PROVIDERS[request.param]
    require_module(module)
    api = FakeAPI(answer)
    yield request.param, api, lambda **params: make(api.url, env, **params), reply, rest
    api.close()


def test_texts_go_in_batches_in_order_with_the_model_and_the_key(provider):
    name, api, make, _, (path, key_header, key_value, texts_key, model) = provider
    enc = make(batch_size=3)
    got = enc.fit(TEXTS).transform(TEXTS)
    assert got.dtype == np.float64 and got.shape == (7, 3)
    np.testing.assert_array_equal(got, expected(TEXTS))
    assert [body[texts_key] for _, _, body in api.requests] == [TEXTS[0:3], TEXTS[3:6], TEXTS[6:7]]
    for got_path, headers, body in api.requests:
        assert got_path == path
        assert headers[key_header] == key_value
        assert body["model"] == model
    assert list(enc.get_feature_names_out()) == [f"{CLASS_NAME[name].lower()}{i}" for i in range(3)]


def test_an_encoder_clones_and_pickles_without_its_client_and_still_works(provider):
    name, api, make, *_ = provider
    enc = make(batch_size=4)
    enc.transform(TEXTS[:2])
    for copy in (clone(enc), pickle.loads(pickle.dumps(enc))):
        assert copy.get_params() == enc.get_params()
        np.testing.assert_array_equal(copy.transform(TEXTS[2:5]), expected(TEXTS[2:5]))


@pytest.mark.parametrize("status", [429, 503])
def test_a_rate_limit_or_server_error_is_retried_by_the_client(provider, status):
    name, api, make, *_ = provider
    api.queue(status, {"error": {"message": "slow down"}}, {"Retry-After": "0", "Retry-After-Ms": "1"})
    enc = make(batch_size=5)
    if name == "ollama":  # the ollama client does not retry
        ollama = require_module("ollama")
        with pytest.raises(ollama.ResponseError) as info:
            enc.transform(TEXTS[:2])
        assert info.value.status_code == status and len(api.requests) == 1
        return
    np.testing.assert_array_equal(enc.transform(TEXTS[:2]), expected(TEXTS[:2]))
    assert len(api.requests) == 2 and api.requests[0][2] == api.requests[1][2]


def test_a_refused_key_names_the_variable_to_set(provider):
    name, api, make, *_ = provider
    api.queue(401, {"error": {"message": "Incorrect API key provided"}, "message": "invalid api token"})
    with pytest.raises(PermissionError, match=rf"{CLASS_NAME[name]}: .*HTTP 401.*{KEY_VARIABLE[name]}"):
        make().transform(TEXTS[:2])
    assert len(api.requests) == 1  # a 401 is not retried


MALFORMED = {
    "too few": ([[1.0, 2.0], [3.0, 4.0]], r"the server returned 2 embeddings for texts 0-2; expected 3, one per text"),
    "not numbers": ([[1.0, 2.0], ["a", 4.0], [5.0, 6.0]], r"embedding 1 holds 'a' \(str\), not a number"),
    "ragged": ([[1.0, 2.0], [3.0, 4.0, 5.0], [6.0, 7.0]], r"embedding 1 has 3 values where embedding 0 has 2"),
}


@pytest.mark.parametrize("case", list(MALFORMED))
def test_a_malformed_reply_says_what_was_expected(provider, case):
    name, api, make, reply, _ = provider
    vectors, message = MALFORMED[case]
    api.queue(200, reply(vectors))
    if name in ("cohere", "ollama") and case == "not numbers":  # the client's own (pydantic) model refuses it
        message = r"the reply for texts 0-2 is not what the API sends \(expected one list of numbers per text\)"
    with pytest.raises(ValueError, match=rf"{CLASS_NAME[name]}: {message}"):
        make(batch_size=3).transform(TEXTS[:3])


def test_a_later_batch_of_another_width_is_refused(provider):
    name, api, make, reply, _ = provider
    api.queue(200, reply([[1.0, 2.0, 3.0]] * 2))
    api.queue(200, reply([[1.0, 2.0]]))
    with pytest.raises(ValueError, match=rf"{CLASS_NAME[name]}: .*length 2 for texts 2-2, but of length 3"):
        make(batch_size=2).transform(TEXTS[:3])


def test_an_empty_list_or_a_single_string_is_refused_before_any_request(provider):
    name, api, make, *_ = provider
    enc = make()
    with pytest.raises(ValueError, match=rf"{CLASS_NAME[name]}: X holds 0 texts"):
        enc.transform([])
    with pytest.raises(TypeError, match="single string"):
        enc.transform("alpha")
    with pytest.raises(TypeError, match="position 1"):
        enc.transform(["alpha", 2])
    with pytest.raises(ValueError, match="batch_size must be an integer"):
        enc.set_params(batch_size=0).transform(["alpha"])
    assert api.requests == []


def test_openai_reads_the_index_of_each_embedding(env):
    require_module("openai")
    api = FakeAPI(openai_answer)
    try:
        shuffled = openai_reply([vector(t) for t in TEXTS[:3]])
        shuffled["data"].reverse()  # the same vectors, listed last first, each with its index
        api.queue(200, shuffled)
        np.testing.assert_array_equal(make_openai(api.url, env).transform(TEXTS[:3]), expected(TEXTS[:3]))
        twice = openai_reply([vector(t) for t in TEXTS[:2]])
        twice["data"][1]["index"] = 0
        api.queue(200, twice)
        with pytest.raises(ValueError, match=r"indices are \[0, 0\]; expected each of 0-1 once"):
            make_openai(api.url, env).transform(TEXTS[:2])
    finally:
        api.close()


def test_cohere_reads_the_originals_variable_then_the_clients(env):
    require_module("cohere")
    api = FakeAPI(cohere_answer)
    try:
        enc = make_cohere(api.url, env, model="large", input_type="classification")
        env.setenv("CO_API_KEY", "co-fallback")
        enc.transform(TEXTS[:1])
        assert api.requests[-1][1]["authorization"] == "Bearer co-test-key"  # COHERE_KEY first, as the original
        env.delenv("COHERE_KEY")
        env.delenv("CO_API_KEY")
        enc.set_params(batch_size=5)  # a new client, which reads the environment again
        with pytest.raises(PermissionError, match="no API key. Set COHERE_KEY .* or CO_API_KEY"):
            enc.transform(TEXTS[:1])
        env.setenv("CO_API_KEY", "co-fallback")
        np.testing.assert_array_equal(enc.transform(TEXTS[:1]), expected(TEXTS[:1]))
        path, headers, body = api.requests[-1]
        assert headers["authorization"] == "Bearer co-fallback"
        # The original never sent its model name: "large" leaves the choice to the server.
        assert body == {"texts": TEXTS[:1], "input_type": "classification"}
    finally:
        api.close()


def test_azure_takes_its_settings_as_keyword_arguments(env):
    require_module("openai")
    api = FakeAPI(openai_answer)
    try:
        from embetter.external import AzureOpenAIEncoder

        enc = AzureOpenAIEncoder("dep", batch_size=2, azure_endpoint=api.url, api_version="2025-01-01",
                                 api_key="az-argument")
        assert clone(enc).get_params()["api_version"] == "2025-01-01"
        enc.transform(TEXTS[:1])
        path, headers, _ = api.requests[-1]
        assert path == "/openai/deployments/dep/embeddings?api-version=2025-01-01"
        assert headers["api-key"] == "az-argument"
        enc.set_params(api_version="2025-02-02")  # drops the client: the next one has the new setting
        enc.transform(TEXTS[:1])
        assert api.requests[-1][0].endswith("api-version=2025-02-02")
    finally:
        api.close()


@pytest.mark.parametrize("module, names, extra", [
    ("openai", ["OpenAIEncoder", "AzureOpenAIEncoder"], "openai"),
    ("cohere", ["CohereEncoder"], "cohere"),
    ("ollama", ["OllamaEncoder"], "ollama"),
])
def test_a_missing_client_library_gives_not_installed(monkeypatch, module, names, extra):
    monkeypatch.setitem(sys.modules, module, None)  # `import <module>` now fails
    for loaded in [m for m in sys.modules if m == "embetter.external" or m.startswith("embetter.external.")]:
        monkeypatch.delitem(sys.modules, loaded)
    if hasattr(embetter, "external"):
        monkeypatch.setattr(embetter, "external", embetter.external)  # restored afterwards
    external = importlib.import_module("embetter.external")
    for name in names:
        missing = getattr(external, name)
        assert isinstance(missing, NotInstalled)
        with pytest.raises(ModuleNotFoundError) as info:
            missing(model="m")
        assert str(info.value) == f"In order to use {name} you'll need to install via;\n\npip install embetter[{extra}]\n\n"
    for other, other_module in CLIENT_OF.items():
        if other not in names and importlib.util.find_spec(other_module) is not None:
            assert not isinstance(getattr(external, other), NotInstalled), other
