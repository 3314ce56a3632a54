"""ClipEncoder: CLIP models (texts and images in one space) run natively by the C++ core."""
from __future__ import annotations

import os

import numpy as np

from embetter import _core
from embetter._images import _is_pil, encode_image_items
from embetter._loaded_models import LoadedModels, precision_of
from embetter.text._static import LazyEncoder

# Loaded once per process for a given model and settings
# (embetter._loaded_models), at most two at a time.
_LOADED = LoadedModels(lambda name, **settings: _core.ClipEncoder(name, **settings), max_models=2)


def _kind(x, i: int) -> str:
    if isinstance(x, str):
        return "text"
    if _is_pil(x):
        return "pil"
    if isinstance(x, np.ndarray) and x.ndim in (2, 3):  # dtype checked in C++
        return "array"
    if isinstance(x, os.PathLike):
        return "file"
    raise TypeError(
        f"ClipEncoder: item {i} is a {type(x).__name__}; expected a text (str), a Pillow image, a uint8 image "
        "array (height x width [x channels]) or an image path (pathlib.Path)"
    )


class ClipEncoder(LazyEncoder):
    """Encodes texts and images into one embedding space with a CLIP model,
    natively (no PyTorch): what sentence-transformers' ``encode`` returns.

    The model is a local folder or a hub id (``clip-ViT-B-32`` means
    ``sentence-transformers/clip-ViT-B-32``) found in the Hugging Face cache
    or downloaded into it: a sentence-transformers CLIP folder or a plain
    transformers CLIP folder, with ``model.safetensors`` or ``pytorch_model.bin``
    (read without running its pickle; see docs/vision.md).

    ``transform(X)`` takes a list (or array, or pandas Series) whose items are
    texts (``str``) or images: Pillow images (as ``ImageLoader`` gives), uint8
    arrays height x width [x channels], or image paths as ``pathlib.Path``
    (decoded in C++; a ``str`` is always a text). It returns an
    (n, dim) float32 array, row i for item i; texts and images may be mixed
    in one list. A single text or image gives one (dim,) vector, as
    ``SentenceTransformer.encode`` does.

    Args:
        name: model folder or hub id.
        device: accepted for compatibility; only "cpu" (or None) is supported.
        quantize: the original's switch to int8 (PyTorch dynamic
            quantization): True means ``precision="int8"``.
        num_threads: threads for the encoder (None: all cores).
        batch_size: texts or images per batch.
        normalize_embeddings: L2-normalise the output.
        show_progress_bar: draw a progress bar on stderr.
        precision: "fp32" (default) or "int8" (the transformer layers'
            products in int8; cosine >= 0.999 to fp32 on the test models).

    Example:

    ```python
    from sklearn.pipeline import make_pipeline
    from embetter.vision import ImageLoader
    from embetter.multi import ClipEncoder

    X_img = make_pipeline(ImageLoader(), ClipEncoder()).fit_transform(["cat.jpeg", "dog.png"])
    X_txt = ClipEncoder().transform(["a photo of a cat", "a photo of a dog"])
    similarity = X_img @ X_txt.T     # (2, 2): image i against caption j
    ```
    """

    def __init__(self, name="clip-ViT-B-32", device=None, quantize=False, num_threads=None, batch_size=32,
                 normalize_embeddings=False, show_progress_bar=False, precision="fp32"):
        self.name = name
        self.device = device
        self.quantize = quantize
        self.num_threads = num_threads
        self.batch_size = batch_size
        self.normalize_embeddings = normalize_embeddings
        self.show_progress_bar = show_progress_bar
        self.precision = precision

    def fit(self, X, y=None):
        """Loads the model (so that a bad name fails early); learns nothing."""
        self._encoder()
        return self

    def transform(self, X, y=None):
        """An (n, dim) float32 array, row i for item i (text or image)."""
        if isinstance(X, str) or _is_pil(X) or isinstance(X, os.PathLike):
            return self.transform([X])[0]
        if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # pandas Series / Index
            X = X.to_numpy()
        try:
            items = list(X)
        except TypeError:
            raise TypeError(f"ClipEncoder: expected a list of texts or images, got {type(X).__name__}") from None
        enc = self._encoder()
        out = np.empty((len(items), enc.dim), dtype=np.float32)
        kinds = [_kind(x, i) for i, x in enumerate(items)]
        texts = [i for i, k in enumerate(kinds) if k == "text"]
        if texts:
            out[texts] = enc.encode_texts([items[i] for i in texts])
        encode_image_items(enc, items, kinds, out)
        return out

    def get_feature_names_out(self, input_features=None):
        """``clipencoder0`` ... ``clipencoder{dim-1}`` (loads the model to learn dim)."""
        return np.asarray([f"clipencoder{i}" for i in range(self._encoder().dim)], dtype=object)

    def _make(self):
        if self.device not in (None, "cpu") and str(self.device) != "cpu":
            raise ValueError(f"ClipEncoder: device {self.device!r} is not supported; embetter runs on the CPU")
        name = os.fspath(self.name)
        settings = dict(
            batch_size=int(self.batch_size),
            normalize_embeddings=bool(self.normalize_embeddings),
            num_threads=int(self.num_threads or 0),
            show_progress_bar=bool(self.show_progress_bar),
            precision=self._precision(),
        )
        return _LOADED.get(name, settings)

    def _precision(self):
        return precision_of("ClipEncoder", self.precision, self.quantize)
