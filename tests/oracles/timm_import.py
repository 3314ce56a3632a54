"""timm from .venv/timm-oracle, for the oracles and benchmarks that use it.

scripts/setup.sh keeps timm and torchvision apart there: PyPI's torchvision
for torch 2.13 is a CUDA build whose C ops cannot load next to the CPU torch,
so when they fail to load, the two schemas its import registers fakes for are
declared first; the parts of timm we use (models, eval transforms on Pillow
images) need none of its ops.
"""
import ctypes
import sys
import warnings
from pathlib import Path

TIMM = Path(__file__).resolve().parents[2] / ".venv" / "timm-oracle"


def import_timm(required=True):
    """The timm module; None when .venv/timm-oracle is missing and not `required`."""
    if not (TIMM / "timm").is_dir():
        if required:
            sys.exit(f"{TIMM} is missing (scripts/setup.sh installs timm there)")
        return None
    if str(TIMM) not in sys.path:
        sys.path.insert(0, str(TIMM))
    import torch

    try:
        ctypes.CDLL(str(TIMM / "torchvision" / "_C.so"))
    except OSError:
        if not hasattr(torch.ops.torchvision, "nms"):
            lib = torch.library.Library("torchvision", "DEF")
            lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
            lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
            import_timm._keep = lib  # the definitions last as long as the library object
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import timm
        import timm.data  # noqa: F401
    return timm
