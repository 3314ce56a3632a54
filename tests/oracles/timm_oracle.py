"""Goldens for TimmEncoder (tests/unit/encoders/timm_encoder_test.cc,
tests/python/test_timm.py): tiny-to-full random-weight timm MobileNetV3 models
saved as timm's Hugging Face folders, and what the original embetter's
TimmEncoder computes on a few images.

argv[1]: output folder, argv[2]: the shared data folder. Writes per model a
folder NAME/ with
  config.json, model.safetensors  timm's save_for_hf (safe_serialization), the
                 BatchNorm running statistics and affine parameters randomised
                 so that folding them is tested;
  images/        the test images (JPEG, PNG: RGB, RGBA, grey);
  pixels.npy     timm's eval transform of each image (converted to RGB, as
                 ImageLoader does), (n, 3·H·W) float32;
  golden.json    architecture, input size, image names, and per image
                 `features`: timm.create_model("local-dir:NAME", pretrained=True,
                 num_classes=0)(x) and `logits`: the same with its classifier
                 (the original's encode_predictions=True: raw logits),
                 each image run alone as the original does.
The models are loaded back through timm's own "local-dir:" loader, so the
folders are what timm reads. timm and torchvision come from .venv/timm-oracle
(see preprocess_oracle.py for why).
"""
import ctypes
import json
import os
import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

out = Path(sys.argv[1])
shared = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)

TIMM = Path(__file__).resolve().parents[2] / ".venv" / "timm-oracle"
if not (TIMM / "timm").is_dir():
    sys.exit(f"timm_oracle: {TIMM} is missing (scripts/setup.sh installs timm there)")
sys.path.insert(0, str(TIMM))
import torch  # noqa: E402

try:
    ctypes.CDLL(str(TIMM / "torchvision" / "_C.so"))
except OSError:  # a torchvision built for another torch: declare what its import registers fakes for
    lib = torch.library.Library("torchvision", "DEF")
    lib.define("nms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
    lib.define("qnms(Tensor dets, Tensor scores, float iou_threshold) -> Tensor")
with warnings.catch_warnings():
    warnings.simplefilter("ignore")
    import timm  # noqa: E402
    from timm.data import create_transform, resolve_data_config  # noqa: E402
    from timm.models import save_for_hf  # noqa: E402

torch.manual_seed(14)
rng = np.random.default_rng(14)

# name → (architecture, pretrained_cfg overrides): the full-size default, a
# narrow small model at an odd non-square size with another filter, two tf_
# models (TensorFlow 'SAME' padding, BatchNorm eps 1e-3), one minimal, and
# MobileNetV2 120d (ReLU6, depth × 1.4) at a small size.
MODELS = {
    "mobilenetv3_large_100": ("mobilenetv3_large_100", {}),
    "small_050_97x80": ("mobilenetv3_small_050", dict(input_size=(3, 97, 80), interpolation="bilinear",
                                                      crop_pct=0.9)),
    "tf_large_075_71": ("tf_mobilenetv3_large_075", dict(input_size=(3, 71, 71), crop_pct=1.0)),
    "tf_small_minimal_64x48": ("tf_mobilenetv3_small_minimal_100", dict(input_size=(3, 64, 48),
                                                                        crop_mode="squash")),
    # The original's own test model (timm's EfficientNet class: head conv before the pooling).
    "mobilenetv2_120d_96": ("mobilenetv2_120d", dict(input_size=(3, 96, 96))),
}


def images(folder):
    folder.mkdir(parents=True, exist_ok=True)
    names = []
    cat = shared / "data" / "thiscatdoesnotexist.jpeg"
    if cat.is_file():
        (folder / "cat.jpeg").write_bytes(cat.read_bytes())
        names.append("cat.jpeg")
    y, x = np.mgrid[0:200, 0:300]
    rgb = np.stack([x * 255 // 299, y * 255 // 199, (x * y) % 256], -1).astype(np.uint8)
    rgb = ((rgb.astype(int) + rng.integers(0, 60, rgb.shape)) % 256).astype(np.uint8)
    Image.fromarray(rgb, "RGB").save(folder / "rgb_300x200.png")
    rgba = rng.integers(0, 256, (48, 64, 4), dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(folder / "rgba_64x48.png")
    grey = (np.add.outer(np.arange(70) * 3, np.arange(50) * 5) % 256).astype(np.uint8)
    Image.fromarray(grey, "L").save(folder / "grey_50x70.png")
    return names + ["rgb_300x200.png", "rgba_64x48.png", "grey_50x70.png"]


def randomise(model):
    """Random BatchNorm statistics and affine parameters; the projections'
    (bn3, before the residual sums) smaller, so that activations stay of order
    ten through the depth, as in trained models."""
    with torch.no_grad():
        for name, m in model.named_modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(torch.empty(n).uniform_(0.2, 0.5) if name.endswith("bn3") else
                               torch.empty(n).uniform_(0.5, 1.5))
                m.bias.copy_(torch.randn(n) * 0.2)
                m.running_mean.copy_(torch.randn(n) * 0.2)
                m.running_var.copy_(torch.empty(n).uniform_(0.5, 2.0))
        head = model.get_classifier()  # classifier (MobileNet, EfficientNet), fc (ResNet), head (ViT)
        head.bias.copy_(torch.randn(head.out_features) * 0.1)


# TIMM_ORACLE_ONLY=name,name writes only those fixtures (while working on one family).
only = set(filter(None, os.environ.get("TIMM_ORACLE_ONLY", "").split(",")))
for name, (arch, cfg) in MODELS.items():
    if only and name not in only:
        continue
    folder = out / name
    model = timm.create_model(arch, pretrained=False)
    randomise(model)
    model.eval()
    save_for_hf(model, folder, safe_serialization=True, data_config=cfg or None)
    (folder / "pytorch_model.bin").unlink(missing_ok=True)
    config = json.loads((folder / "config.json").read_text())
    names = images(folder / "images")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        features_model = timm.create_model(f"local-dir:{folder}", pretrained=True, num_classes=0).eval()
        predictions_model = timm.create_model(f"local-dir:{folder}", pretrained=True).eval()
    data_config = resolve_data_config({}, model=features_model)
    for key, value in cfg.items():  # the folder's pretrained_cfg is what timm used
        assert tuple(data_config[key]) == tuple(value) if isinstance(value, tuple) else data_config[key] == value, \
            (name, key, data_config[key], value)
    transform = create_transform(**data_config)
    pixels, features, logits = [], [], []
    with torch.no_grad():
        for image_name in names:
            x = transform(Image.open(folder / "images" / image_name).convert("RGB")).unsqueeze(0)
            pixels.append(x.numpy().reshape(-1))
            features.append(features_model(x).squeeze(0).numpy())
            logits.append(predictions_model(x).squeeze(0).numpy())
    np.save(folder / "pixels.npy", np.stack(pixels).astype(np.float32))
    features, logits = np.stack(features), np.stack(logits)
    golden = {
        "architecture": arch,
        "input_size": list(data_config["input_size"]),
        "data_config": {k: (list(v) if isinstance(v, tuple) else v) for k, v in data_config.items()},
        "images": names,
        "features": features.astype(np.float32).tolist(),
        "logits": logits.astype(np.float32).tolist(),
    }
    (folder / "golden.json").write_text(json.dumps(golden))
    print(f"{name}: {arch}, input {data_config['input_size']}, features {features.shape} "
          f"(|max| {np.abs(features).max():.3g}), logits {logits.shape} (|max| {np.abs(logits).max():.3g}), "
          f"pretrained_cfg {json.dumps(config.get('pretrained_cfg', {}))[:120]}...")
