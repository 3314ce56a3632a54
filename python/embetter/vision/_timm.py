"""TimmEncoder: timm image models (MobileNetV3, MobileNetV2, EfficientNet, ResNet, ViT) run natively in C++."""
from __future__ import annotations

import os

import numpy as np

from embetter import _core
from embetter._images import _is_pil, encode_image_items
from embetter._loaded_models import LoadedModels
from embetter.text._static import LazyEncoder

# Loaded once per process for a given model and settings
# (embetter._loaded_models), at most two at a time.
_LOADED = LoadedModels(lambda name, **settings: _core.TimmEncoder(name, **settings), max_models=2)


def _kind(x, i: int) -> str:
    if _is_pil(x):
        return "pil"
    if isinstance(x, np.ndarray) and x.ndim in (2, 3):  # dtype checked in C++
        return "array"
    if isinstance(x, (str, os.PathLike)):
        return "file"
    raise TypeError(
        f"TimmEncoder: item {i} is a {type(x).__name__}; expected a Pillow image, a uint8 image array "
        "(height x width [x channels]) or an image path (str or pathlib.Path)"
    )


class TimmEncoder(LazyEncoder):
    """Image embeddings from a pretrained timm model, run natively (no PyTorch):
    what the original's TimmEncoder returns, i.e. timm's
    ``create_model(name, pretrained=True, num_classes=0)`` applied to timm's
    eval transform of each image: the pooled features (1280 for
    ``mobilenetv3_large_100``), or with ``encode_predictions=True`` the
    classifier's raw logits (1000 columns, no softmax), as the original.

    The model is a timm model name (``mobilenetv3_large_100`` means timm's
    default weights, ``timm/mobilenetv3_large_100.ra_in1k``), a hub id or a
    local folder in timm's Hugging Face layout (``config.json`` with
    ``architecture`` and ``pretrained_cfg``, ``model.safetensors``), found in
    the Hugging Face cache or downloaded into it. Architectures: timm's
    MobileNetV3 (``mobilenetv3_large_*``, ``mobilenetv3_small_*`` and their
    ``tf_`` variants), MobileNetV2 (``mobilenetv2_*``), EfficientNet B0-B3
    (``efficientnet_b0``..``b3``, ``tf_efficientnet_b0``..``b3``) and the
    plain ResNets (``resnet18``, ``resnet34``, ``resnet26``, ``resnet50``,
    ``resnet101``, ``resnet152``, ``wide_resnet50_2``, ``wide_resnet101_2``;
    ``resnet50`` means ``timm/resnet50.a1_in1k``) and the Vision Transformer
    (``vit_{tiny,small,base,large}_patch{8,16,32}_{224,384}``,
    ``vit_{large,huge,giant}_patch14_224``, class-token pooling, at the
    model's image size; ``vit_base_patch16_224`` means
    ``timm/vit_base_patch16_224.augreg2_in21k_ft_in1k``); others raise
    ``NotSupportedError`` (see docs/vision.md).

    ``transform(X)`` takes a list (or array, or pandas Series) of images:
    Pillow images (as ``ImageLoader`` gives), uint8 arrays height x width
    [x channels], or image paths (``str`` or ``pathlib.Path``, decoded in C++);
    images are converted to RGB as Pillow's ``convert("RGB")`` (alpha
    dropped). It returns an (n, dim) float32 array; one image gives one
    (dim,) vector.

    Args:
        name: timm model name, hub id or model folder.
        encode_predictions: output the predictions (logits) instead of the
            pooled embedding before them.
        batch_size: images per batch (the unit of progress reports).
        num_threads: threads over the images (None: all cores).
        show_progress_bar: draw a progress bar on stderr.

    **Usage**:

    ```python
    import pandas as pd
    from sklearn.pipeline import make_pipeline

    from embetter.grab import ColumnGrabber
    from embetter.vision import ImageLoader, TimmEncoder

    # Let's say we start we start with a csv file with filepaths
    data = {"filepaths":  ["tests/data/thiscatdoesnotexist.jpeg"]}
    df = pd.DataFrame(data)

    # Let's build a pipeline that grabs the column, turns it
    # into an image and embeds it.
    pipe = make_pipeline(
        ColumnGrabber("filepaths"),
        ImageLoader(),
        TimmEncoder(name="mobilenetv3_large_100")
    )

    # This pipeline can now encode each image in the dataframe
    pipe.fit_transform(df)
    ```
    """

    def __init__(self, name="mobilenetv3_large_100", encode_predictions=False, batch_size=32, num_threads=None,
                 show_progress_bar=False):
        self.name = name
        self.encode_predictions = encode_predictions
        self.batch_size = batch_size
        self.num_threads = num_threads
        self.show_progress_bar = show_progress_bar

    def fit(self, X, y=None):
        """Loads the model (so that a bad name fails early); learns nothing."""
        self._encoder()
        return self

    def transform(self, X, y=None):
        """An (n, dim) float32 array, row i for image i."""
        if _is_pil(X) or isinstance(X, (str, os.PathLike)) or isinstance(X, np.ndarray) and X.dtype == np.uint8 \
                and X.ndim == 2:
            return self.transform([X])[0]
        if hasattr(X, "to_numpy") and not isinstance(X, np.ndarray):  # pandas Series / Index
            X = X.to_numpy()
        if isinstance(X, np.ndarray) and X.dtype == np.uint8 and X.ndim == 4:  # a stack of images
            X = list(X)
        try:
            items = list(X)
        except TypeError:
            raise TypeError(f"TimmEncoder: expected a list of images, got {type(X).__name__}") from None
        enc = self._encoder()
        out = np.empty((len(items), enc.dim), dtype=np.float32)
        kinds = [_kind(x, i) for i, x in enumerate(items)]
        encode_image_items(enc, items, kinds, out)
        return out

    def _make(self):
        settings = dict(
            encode_predictions=bool(self.encode_predictions),
            batch_size=int(self.batch_size),
            num_threads=int(self.num_threads or 0),
            show_progress_bar=bool(self.show_progress_bar),
        )
        return _LOADED.get(os.fspath(self.name), settings)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.string = False
        return tags
