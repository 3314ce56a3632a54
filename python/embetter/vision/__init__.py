"""Image components: ImageLoader (paths to Pillow images or uint8 arrays) and
ColorHistogramEncoder (colour histograms computed in C++). TimmEncoder is not
built yet (issue 14); see docs/vision.md."""
from embetter.vision._colorhist import ColorHistogramEncoder
from embetter.vision._loader import ImageLoader
from embetter.vision._pending import TimmEncoder

__all__ = ["ImageLoader", "ColorHistogramEncoder", "TimmEncoder"]
