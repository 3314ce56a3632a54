"""ImageLoader: file paths in, Pillow images (or uint8 arrays) out, as the original."""
from __future__ import annotations

import numpy as np

from embetter.base import EmbetterBase

_OUTS = ("pil", "numpy")


def _pil_image():
    try:
        from PIL import Image
    except ImportError as e:  # Pillow is the optional extra `vision`
        raise ModuleNotFoundError(
            "In order to use ImageLoader you'll need to install via;\n\npip install embetter[vision]\n\n"
        ) from e
    return Image


class ImageLoader(EmbetterBase):
    """Opens image files: paths in, Pillow images (or uint8 arrays) out.

    Arguments:
        convert: the Pillow mode each image is converted to (`Image.convert`),
            e.g. "RGB" or "L".
        out: "pil" (a list of `PIL.Image`) or "numpy" (uint8 arrays: one
            stacked array when every image has the same shape, else a 1-D
            object array of them). Any other value raises ValueError in `fit`
            and `transform` (the original returns None).

    Images are opened with Pillow as the original does
    (`Image.open(path).convert(convert)`; no EXIF rotation). Pillow is the extra
    `pip install embetter[vision]`.

    Example: on its own, then in front of an image encoder.

    ```python
    from sklearn.pipeline import make_pipeline
    from embetter.vision import ImageLoader, ColorHistogramEncoder

    paths = ["tests/data/thiscatdoesnotexist.jpeg"]
    images = ImageLoader(convert="RGB").fit_transform(paths)
    pixels = ImageLoader(out="numpy").fit_transform(paths)
    assert pixels[0].shape == images[0].size[::-1] + (3,)

    counts = make_pipeline(ImageLoader(), ColorHistogramEncoder()).fit_transform(paths)
    ```
    """

    def __init__(self, convert: str = "RGB", out: str = "pil") -> None:
        self.convert = convert
        self.out = out

    def _check_out(self):
        if self.out not in _OUTS:
            raise ValueError(f"ImageLoader: out={self.out!r}; expected 'pil' or 'numpy'.")

    def fit(self, X, y=None):
        """Checks the parameters (there is nothing to learn)."""
        self._check_out()
        return self

    def partial_fit(self, X, y=None, classes=None):
        """Checks the parameters (there is nothing to learn)."""
        return self.fit(X, y)

    def transform(self, X, y=None):
        """Opens each path with Pillow and converts it to `convert` mode."""
        self._check_out()
        image_module = _pil_image()
        images = []
        for x in X:
            with image_module.open(x) as im:
                images.append(im.convert(self.convert))
        if self.out == "pil":
            return images
        arrays = [np.asarray(im) for im in images]
        if len({a.shape for a in arrays}) <= 1:
            return np.array(arrays)
        ragged = np.empty(len(arrays), dtype=object)
        ragged[:] = arrays
        return ragged

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = True
        tags.input_tags.two_d_array = False
        tags.requires_fit = False
        return tags
