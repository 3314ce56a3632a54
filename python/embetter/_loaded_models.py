"""Models loaded by the C++ core, shared within a process.

SentenceEncoder and ClipEncoder pickle as their name and settings only
(LazyEncoder.__getstate__ drops the weights), so Dask, joblib or
multiprocessing hand each task a fresh copy; without a shared cache every
task (every partition of a dask dataframe) would load the weights again.
Sharing is safe: a C++ model is immutable after load and its encode() is
thread-safe. Each cache keeps at most `max_models` models (least recently
used out), so a process that tries many models does not hold them all.
"""
from __future__ import annotations

import os
import threading
from collections import OrderedDict

# What the C++ resolver reads to turn a hub id into a folder (src/hub/).
_HUB_ENV = ("HOME", "HF_HOME", "XDG_CACHE_HOME", "HF_HUB_CACHE", "HUGGINGFACE_HUB_CACHE", "VIRTUAL_ENV",
            "EMBETTER_PYTHON_SITE")


def model_key(name: str):
    """Which model files `name` means now: a local folder by its real path and
    its files' sizes and times (a model saved again into the same folder is
    loaded again, not served stale); a hub id by the environment that resolves it."""
    if os.path.isdir(name):
        root = os.path.realpath(name)
        files = []
        for folder, _, names in os.walk(root):
            for file in names:
                st = os.stat(os.path.join(folder, file))
                files.append((os.path.relpath(os.path.join(folder, file), root), st.st_size, st.st_mtime_ns))
        return ("folder", root, tuple(sorted(files)))
    return ("hub", name, tuple(os.environ.get(v) for v in _HUB_ENV))


class LoadedModels:
    """`factory(name, **settings)` results, one per model and settings."""

    def __init__(self, factory, max_models: int):
        self._factory = factory
        self._max = max_models
        self._models: OrderedDict = OrderedDict()
        self._lock = threading.Lock()  # one load per key when a worker runs several threads

    def get(self, name: str, settings: dict):
        key = (model_key(name), tuple(sorted(settings.items())))
        with self._lock:
            model = self._models.get(key)
            if model is None:
                model = self._factory(name, **settings)  # errors are raised, never cached
                self._models[key] = model
                while len(self._models) > self._max:
                    self._models.popitem(last=False)
            self._models.move_to_end(key)
            return model

    def clear(self):
        with self._lock:
            self._models.clear()


def precision_of(owner: str, precision, quantize) -> str:
    """The precision an encoder asks for: `precision`, or int8 for the
    original's `quantize=True`; a contradiction or a non-string is an error."""
    if not isinstance(precision, str):
        raise ValueError(f"{owner}: precision must be 'fp32' or 'int8', got {precision!r}")
    if quantize and precision == "fp32":
        return "int8"
    if quantize and precision != "int8":
        raise ValueError(f"{owner}: quantize=True asks for int8, but precision is {precision!r}")
    return precision
