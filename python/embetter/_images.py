"""Image inputs shared by the image encoders (ClipEncoder, TimmEncoder): how a
Pillow image is handed to the C++ preprocessing."""
from __future__ import annotations

import os

import numpy as np


def _is_pil(x) -> bool:
    image = type(x).__module__.startswith("PIL.") and hasattr(x, "getbands") and hasattr(x, "mode")
    return bool(image)


def _pil_pixels(img) -> np.ndarray:
    """A Pillow image as the uint8 array the C++ preprocessing takes: grey,
    RGB and their alpha forms as they are (CLIP composites alpha on white,
    timm drops it as convert("RGB") does), any other mode converted first as
    transformers' convert_to_rgb does (RGBA when it has transparency, else
    RGB), which gives convert("RGB")'s colours once alpha is dropped."""
    transparency = img.info.get("transparency") is not None
    if img.mode in ("RGB", "L") and not transparency or img.mode in ("RGBA", "LA"):
        return np.asarray(img)
    has_alpha = "A" in img.getbands() or transparency
    return np.asarray(img.convert("RGBA" if has_alpha else "RGB"))


def encode_image_items(enc, items, kinds, out) -> None:
    """Writes the rows of `out` that belong to image items (kinds "pil",
    "array" or "file"): Pillow images and uint8 arrays in one call, paths
    (decoded in C++) in another; other rows are left as they are."""
    arrays = [i for i, k in enumerate(kinds) if k in ("pil", "array")]
    files = [i for i, k in enumerate(kinds) if k == "file"]
    if arrays:
        pixels = [_pil_pixels(items[i]) if kinds[i] == "pil" else items[i] for i in arrays]
        out[arrays] = enc.encode_images(pixels)
    if files:
        out[files] = enc.encode_image_files([os.fspath(items[i]) for i in files])
