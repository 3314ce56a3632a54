"""BytePairEncoder(lang, vs, dim): BPEmb's files from the cache, or downloaded
from a real HTTP server on localhost that serves BPEmb's layout (the shared
fixture's English vs=1000, d=25 files, the vectors as a .tar.gz)."""
from __future__ import annotations

import functools
import http.server
import io
import tarfile
import threading

import numpy as np
import pytest

from conftest import require
from embetter.text import BytePairEncoder

TEXTS = ["This is anarchism 101", "HELLO World!! Mixed CaSe", ""]
MODEL = "en.wiki.bpe.vs1000.model"
VECTORS = "en.wiki.bpe.vs1000.d25.w2v.bin"


class Server:
    """Serves `root` over HTTP on an ephemeral port and records the paths asked for."""

    def __init__(self, root):
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Handler, directory=str(root)))
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)

    def __enter__(self):
        self.thread.start()
        return self

    def __exit__(self, *exc):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def bpemb_site(shared, tmp_path):
    """A folder laid out like bpemb.h-its.org for English."""
    data = require(shared / "data" / VECTORS).parent
    site = tmp_path / "site" / "en"
    site.mkdir(parents=True)
    (site / MODEL).write_bytes((data / MODEL).read_bytes())
    with tarfile.open(site / f"{VECTORS}.tar.gz", "w:gz") as tar:
        tar.add(data / VECTORS, arcname=VECTORS)
    return site.parent, data


def test_downloads_into_the_bpemb_cache_then_works_offline(bpemb_site, tmp_path, monkeypatch):
    site, data = bpemb_site
    cache = tmp_path / "cache"
    direct = BytePairEncoder(model_file=str(data / MODEL), vectors_file=str(data / VECTORS)).fit_transform(TEXTS)
    with Server(site) as server:
        monkeypatch.setenv("EMBETTER_BPEMB_ENDPOINT", server.url)
        X = BytePairEncoder("en", vs=1000, dim=25, cache_dir=cache).fit_transform(TEXTS)
        assert server.requests == [f"/en/{MODEL}", f"/en/{VECTORS}.tar.gz"]
    np.testing.assert_array_equal(X, direct)
    assert sorted(p.name for p in (cache / "en").iterdir()) == sorted([MODEL, VECTORS])   # no temporary file left
    assert (cache / "en" / VECTORS).read_bytes() == (data / VECTORS).read_bytes()
    # The server is gone: the cached files are used without the network.
    monkeypatch.setenv("EMBETTER_BPEMB_ENDPOINT", "http://127.0.0.1:9")
    np.testing.assert_array_equal(BytePairEncoder("en", cache_dir=cache, agg="mean").fit_transform(TEXTS), direct)


def test_unknown_size_is_a_clear_error_and_leaves_nothing(bpemb_site, tmp_path, monkeypatch):
    site, _ = bpemb_site
    cache = tmp_path / "cache"
    with Server(site) as server:
        monkeypatch.setenv("EMBETTER_BPEMB_ENDPOINT", server.url)
        with pytest.raises(OSError, match=r"en\.wiki\.bpe\.vs1000\.d50\.w2v\.bin\.tar\.gz: HTTP 404 \(no such language"):
            BytePairEncoder("en", dim=50, cache_dir=cache).fit(TEXTS)
    assert sorted(p.name for p in (cache / "en").iterdir()) == [MODEL]   # the model came; no partial vectors


def test_broken_archive_is_a_clear_error(bpemb_site, tmp_path, monkeypatch):
    site, _ = bpemb_site
    (site / "en" / f"{VECTORS}.tar.gz").write_bytes(b"not gzip at all")
    with Server(site) as server:
        monkeypatch.setenv("EMBETTER_BPEMB_ENDPOINT", server.url)
        with pytest.raises(OSError, match=r"not a valid \.tar\.gz"):
            BytePairEncoder("en", cache_dir=tmp_path / "cache").fit(TEXTS)
        # An archive without the expected member.
        buf = io.BytesIO()
        with tarfile.open(fileobj=buf, mode="w:gz") as tar:
            info = tarfile.TarInfo("other.bin")
            tar.addfile(info, io.BytesIO(b""))
        (site / "en" / f"{VECTORS}.tar.gz").write_bytes(buf.getvalue())
        with pytest.raises(OSError, match=f"holds no file named {VECTORS}"):
            BytePairEncoder("en", cache_dir=tmp_path / "cache").fit(TEXTS)
    assert not (tmp_path / "cache" / "en" / VECTORS).exists()


def test_unreachable_endpoint_names_the_url_and_the_offline_remedy(tmp_path, monkeypatch):
    monkeypatch.setenv("EMBETTER_BPEMB_ENDPOINT", "http://127.0.0.1:9")   # discard port: refused
    with pytest.raises(OSError, match=r"cannot download http://127\.0\.0\.1:9/de/de\.wiki\.bpe\.vs1000\.model .*put "
                                      r"de\.wiki\.bpe\.vs1000\.model in .*cache/de"):
        BytePairEncoder("de", cache_dir=tmp_path / "cache").fit(TEXTS)


@pytest.mark.parametrize("kwargs, message", [
    ({}, r"`lang` is required"),
    ({"lang": "../en"}, r"`lang` must be a BPEmb language code"),
    ({"lang": "en", "vs": 0}, r"`vs` must be a positive int"),
    ({"lang": "en", "dim": 2.5}, r"`dim` must be a positive int"),
    ({"model_file": "x.model"}, r"both `model_file` and `vectors_file`"),
])
def test_bad_parameters(kwargs, message, tmp_path):
    with pytest.raises(ValueError, match=message):
        BytePairEncoder(cache_dir=tmp_path, **kwargs).fit(TEXTS)
