"""Multi-modal components: ClipEncoder (texts and images in one space, CLIP
run natively; see docs/vision.md)."""
from embetter.multi._clip import ClipEncoder

__all__ = ["ClipEncoder"]
