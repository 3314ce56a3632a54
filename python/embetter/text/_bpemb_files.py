"""BPEmb's files for a language, vocabulary size and dimension, found in (or
fetched into) the cache folder the `bpemb` package uses, so that vectors it
downloaded are reused and ours are visible to it.

Layout: ``<cache_dir>/<lang>/<lang>.wiki.bpe.vs<vs>.model`` (SentencePiece)
and ``<lang>.wiki.bpe.vs<vs>.d<dim>.w2v.bin`` (word2vec binary), the second
served as a ``.tar.gz`` holding that one file. Files already in the cache are
used without any network access; a download is written to a temporary name in
the same folder and renamed, so an interrupted one leaves nothing behind.
"""
from __future__ import annotations

import os
import tarfile
import tempfile
import urllib.error
import urllib.request
from pathlib import Path

#: BPEmb's server; EMBETTER_BPEMB_ENDPOINT points elsewhere (a mirror, a test server).
DEFAULT_ENDPOINT = "https://bpemb.h-its.org"
DEFAULT_CACHE = Path.home() / ".cache" / "bpemb"   # the bpemb package's default
TIMEOUT_SECONDS = 60


class BPEmbDownloadError(OSError):
    """A BPEmb file is neither in the cache nor obtainable from the endpoint."""


def bpemb_files(lang: str, vs: int, dim: int, cache_dir=None) -> tuple[Path, Path]:
    """The (SentencePiece model, word2vec vectors) paths for ``lang``/``vs``/``dim``,
    downloaded into ``cache_dir`` (default ``~/.cache/bpemb``) when missing."""
    if not isinstance(lang, str) or not lang or "/" in lang or lang.startswith("."):
        raise ValueError(f"BytePairEncoder: `lang` must be a BPEmb language code such as 'en' or 'multi'; got {lang!r}")
    for name, value in (("vs", vs), ("dim", dim)):
        if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
            raise ValueError(f"BytePairEncoder: `{name}` must be a positive int; got {value!r}")
    folder = Path(cache_dir if cache_dir is not None else DEFAULT_CACHE).expanduser() / lang
    model = folder / f"{lang}.wiki.bpe.vs{vs}.model"
    vectors = folder / f"{lang}.wiki.bpe.vs{vs}.d{dim}.w2v.bin"
    endpoint = os.environ.get("EMBETTER_BPEMB_ENDPOINT", DEFAULT_ENDPOINT).rstrip("/")
    if not model.is_file():
        _fetch(f"{endpoint}/{lang}/{model.name}", model, archive_member=None)
    if not vectors.is_file():
        _fetch(f"{endpoint}/{lang}/{vectors.name}.tar.gz", vectors, archive_member=vectors.name)
    return model, vectors


def _fetch(url: str, target: Path, archive_member: str | None) -> None:
    """Downloads `url` to `target`; when `archive_member` is given, the URL is a
    .tar.gz and only that member (a regular file) is kept."""
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".part", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            try:
                with urllib.request.urlopen(url, timeout=TIMEOUT_SECONDS) as response:
                    if archive_member is None:
                        _copy(response, out)
                    else:
                        _copy_member(response, archive_member, url, out)
            except urllib.error.HTTPError as e:
                hint = " (no such language, vocabulary size or dimension on BPEmb)" if e.code == 404 else ""
                raise BPEmbDownloadError(
                    f"BytePairEncoder: {url}: HTTP {e.code}{hint}; {target.name} is not in {target.parent} either"
                ) from None
            except (urllib.error.URLError, TimeoutError, ConnectionError) as e:
                reason = getattr(e, "reason", e)
                raise BPEmbDownloadError(
                    f"BytePairEncoder: cannot download {url} ({reason}); to work offline, put "
                    f"{target.name} in {target.parent} (or pass model_file= and vectors_file=)"
                ) from None
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def _copy(source, out) -> None:
    while chunk := source.read(1 << 20):
        out.write(chunk)


def _copy_member(response, member: str, url: str, out) -> None:
    # Stream mode ("r|gz") reads the archive as it arrives, with no seek.
    try:
        with tarfile.open(fileobj=response, mode="r|gz") as archive:
            for info in archive:
                if info.name.lstrip("./") == member and info.isfile():
                    _copy(archive.extractfile(info), out)
                    return
    except (tarfile.TarError, EOFError, OSError) as e:
        raise BPEmbDownloadError(f"BytePairEncoder: {url}: not a valid .tar.gz archive ({e})") from None
    raise BPEmbDownloadError(f"BytePairEncoder: {url}: the archive holds no file named {member}")
