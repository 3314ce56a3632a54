"""Multi-modal components. ClipEncoder is not built yet (issue 14); see docs/vision.md."""
from embetter.multi._pending import ClipEncoder

__all__ = ["ClipEncoder"]
