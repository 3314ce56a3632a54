"""Image inputs shared by the image encoders (ClipEncoder, TimmEncoder): how a
Pillow image is handed to the C++ preprocessing."""
from __future__ import annotations

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
