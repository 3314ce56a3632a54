"""Image components: ImageLoader (paths to Pillow images or uint8 arrays),
ColorHistogramEncoder (colour histograms computed in C++) and TimmEncoder
(timm's MobileNets, EfficientNet B0-B3, ResNets and ViTs run natively); see docs/vision.md."""
from embetter.vision._colorhist import ColorHistogramEncoder
from embetter.vision._loader import ImageLoader
from embetter.vision._timm import TimmEncoder

__all__ = ["ImageLoader", "ColorHistogramEncoder", "TimmEncoder"]
