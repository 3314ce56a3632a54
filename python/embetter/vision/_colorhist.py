"""ColorHistogramEncoder: the original's colour histograms, counted in C++."""
from __future__ import annotations

import numbers
import os

import numpy as np

from embetter import _core
from embetter.base import EmbetterBase

# Images converted to arrays per call into the C++ core: a long list of
# Pillow images is not copied into arrays all at once.
_WINDOW = 256
# Pillow modes whose pixels np.asarray gives as the original counts them
# (RGB, and RGBA whose alpha it ignores) or as convert("RGB") would (grey).
_DIRECT_MODES = ("RGB", "RGBA", "L", "LA")


def _pixels(x):
    """A path (str), or a C-contiguous uint8/float64 array of 1 to 4 channels."""
    if isinstance(x, (str, os.PathLike)):
        return os.fspath(x)
    mode = getattr(x, "mode", None)
    if mode is not None and hasattr(x, "convert") and not isinstance(x, np.ndarray):  # a Pillow image
        arr = np.asarray(x if mode in _DIRECT_MODES else x.convert("RGB"))
    else:
        arr = np.asarray(x)
    if arr.ndim == 3 and arr.shape[2] > 4:
        arr = arr[:, :, :3]  # the original counts the first three channels
    if arr.dtype != np.uint8:
        arr = arr.astype(np.float64)
    return np.ascontiguousarray(arr)


class ColorHistogramEncoder(EmbetterBase):
    """Colour histograms as embeddings: per channel, the number of pixels in
    each of `n_buckets` equal ranges of 0-255.

    Arguments:
        n_buckets: ranges (bins) per colour channel.

    Each row holds `3 * n_buckets` raw counts (float64), R then G then B, exactly
    the original's `np.histogram(channel, bins=np.linspace(0, 255, n_buckets + 1))`.
    Inputs: Pillow images (as `ImageLoader` gives), uint8 or numeric arrays
    (height x width x channels), or file paths (JPEG, PNG, WebP; decoded in C++,
    an extension of the original). Grey images count their one channel as R, G
    and B (what Pillow's `convert("RGB")` gives; the original crashes on them);
    alpha is ignored (as the original, and as `convert("RGB")`); palette, CMYK
    and other Pillow modes are converted with `convert("RGB")` first.

    Example, from a table of image paths to one row of 3 x 16 counts per image:

    ```python
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    from embetter.grab import ColumnGrabber
    from embetter.vision import ImageLoader, ColorHistogramEncoder

    images = pd.DataFrame({"path": ["tests/data/thiscatdoesnotexist.jpeg"]})
    pipe = make_pipeline(ColumnGrabber("path"), ImageLoader(), ColorHistogramEncoder(n_buckets=16))
    X = pipe.fit_transform(images)
    assert X.shape == (1, 48)
    ```
    """

    def __init__(self, n_buckets=256):
        self.n_buckets = n_buckets

    def _buckets(self):
        n = self.n_buckets
        if isinstance(n, bool) or not isinstance(n, numbers.Integral) or n < 1:
            raise ValueError(f"ColorHistogramEncoder: n_buckets={n!r}; expected an integer >= 1.")
        return int(n)

    def fit(self, X, y=None):
        """Checks n_buckets (there is nothing to learn)."""
        self._buckets()
        return self

    def transform(self, X, y=None):
        """
        Takes a sequence of `PIL.Image` (or arrays, or file paths) and returns a
        numpy array representing a color histogram for each.
        """
        n = self._buckets()
        X = list(X) if not isinstance(X, np.ndarray) or X.dtype == object else X
        parts = [
            _core.color_histograms([_pixels(x) for x in X[i : i + _WINDOW]], n)
            for i in range(0, len(X), _WINDOW)
        ]
        return np.concatenate(parts) if parts else np.zeros((0, 3 * n))

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
