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
    """
    Component that can turn filepaths into a list of PIL.Image objects.

    Arguments:
        convert: Color [conversion setting](https://pillow.readthedocs.io/en/stable/reference/Image.html#PIL.Image.Image.convert) from the Python image library.
        out: What kind of image output format to expect: "pil" (a list of
            `PIL.Image`) or "numpy" (uint8 arrays: one stacked array when every
            image has the same shape, else a 1-D object array of them). Any other
            value raises ValueError in `fit` and `transform`.

    Images are opened with Pillow exactly as the original does
    (`Image.open(path).convert(convert)`; no EXIF rotation). Pillow is the extra
    `pip install embetter[vision]`.

    **Usage**

    You can use the `ImageLoader` in standalone fashion.

    ```python
    from embetter.vision import ImageLoader

    filepath = "tests/data/thiscatdoesnotexist.jpeg"
    ImageLoader(convert="RGB").fit_transform([filepath])
    ```

    But it's more common to see it part of a pipeline.

    ```python
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    from embetter.grab import ColumnGrabber
    from embetter.vision import ImageLoader, ColorHistogramEncoder

    # Let's say we start we start with a csv file with filepaths
    data = {"filepaths":  ["tests/data/thiscatdoesnotexist.jpeg"]}
    df = pd.DataFrame(data)

    # Let's build a pipeline that grabs the column, turns it
    # into an image and embeds it.
    pipe = make_pipeline(
        ColumnGrabber("filepaths"),
        ImageLoader(),
        ColorHistogramEncoder()
    )

    pipe.fit_transform(df)
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
