"""Goldens for TimmEncoder (tests/unit/encoders/timm_encoder_test.cc,
tests/python/test_timm.py): tiny-to-full random-weight timm models (MobileNetV3/V2,
EfficientNet, ResNet, ViT)
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
(see timm_import.py for why).
"""
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

from timm_import import import_timm  # noqa: E402

timm = import_timm()
import torch  # noqa: E402
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
    # EfficientNet (built narrow: NARROW below): B0 at a small odd size, tf_ B3
    # (depth × 1.4, 'ceil'; 'SAME' padding at an odd size, BatchNorm eps 1e-3).
    "efficientnet_b0_narrow_83x77": ("efficientnet_b0", dict(input_size=(3, 83, 77))),
    "tf_efficientnet_b3_narrow_75": ("tf_efficientnet_b3", dict(input_size=(3, 75, 75), crop_pct=1.0)),
    # ResNet (narrow: MODEL_ARGS below): BasicBlocks and Bottlenecks at odd
    # sizes (odd inputs to the stem's max-pool), and the wide Bottleneck.
    "resnet18_narrow_67x58": ("resnet18", dict(input_size=(3, 67, 58), interpolation="bilinear")),
    "resnet50_narrow_75x61": ("resnet50", dict(input_size=(3, 75, 61))),
    "wide_resnet50_2_narrow_45": ("wide_resnet50_2", dict(input_size=(3, 45, 45), crop_pct=1.0)),
    # ViT (small: MODEL_ARGS below): tiny/16 with the name's 3 heads; small/32
    # with 4 heads from model_args, at a non-square img_size, with LayerScale
    # and no qkv bias.
    "vit_tiny_patch16_narrow_64": ("vit_tiny_patch16_224", dict(input_size=(3, 64, 64))),
    "vit_small_patch32_ls_96x64": ("vit_small_patch32_384", dict(input_size=(3, 96, 64), interpolation="bilinear",
                                                                 crop_pct=0.95)),
}

# Model arguments of a fixture, which save_for_hf records in config.json's
# model_args and timm's "local-dir:" loader passes back: ResNet's stage widths
# (the stem stays 64 wide); ViT's width, depth, heads, img_size and switches.
MODEL_ARGS = {
    "resnet18_narrow_67x58": dict(channels=(8, 16, 32, 64)),
    "resnet50_narrow_75x61": dict(channels=(8, 16, 32, 64)),
    "wide_resnet50_2_narrow_45": dict(channels=(4, 8, 16, 32)),
    "vit_tiny_patch16_narrow_64": dict(embed_dim=48, depth=2, img_size=64),
    "vit_small_patch32_ls_96x64": dict(embed_dim=64, depth=3, num_heads=4, img_size=(96, 64), init_values=0.5,
                                       qkv_bias=False),
}

# timm's efficientnet_b* entrypoints fix their channel multiplier (no model
# argument sets it: passing one collides with theirs), and at full width their
# files are 21 MB (B0) to 49 MB (B3). So these architectures are built, here and when their
# folders are reloaded through "local-dir:", by timm's own _gen_efficientnet
# with a narrower multiplier: the same code and depth, fewer channels (the
# C++ reads the widths from the weights' shapes).
NARROW = {"efficientnet_b0": 0.25, "tf_efficientnet_b3": 0.25}
_gen_efficientnet = timm.models.efficientnet._gen_efficientnet


def _narrow_efficientnet(variant, channel_multiplier=1.0, **kwargs):
    return _gen_efficientnet(variant, channel_multiplier=NARROW.get(variant, channel_multiplier), **kwargs)


timm.models.efficientnet._gen_efficientnet = _narrow_efficientnet


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
        if isinstance(model, timm.models.VisionTransformer):
            # timm's init leaves LayerNorms at 1 and 0, the class token near 0,
            # biases 0 and the products at std 0.02: nearly uniform attention.
            for name, m in model.named_modules():
                if isinstance(m, torch.nn.LayerNorm):
                    m.weight.copy_(torch.empty(m.weight.shape).uniform_(0.5, 1.5))
                    m.bias.copy_(torch.randn(m.bias.shape) * 0.2)
                elif isinstance(m, torch.nn.Linear) and name.startswith("blocks."):
                    m.weight.copy_(torch.randn(m.weight.shape) / m.in_features ** 0.5)
                    if m.bias is not None:
                        m.bias.copy_(torch.randn(m.bias.shape) * 0.1)
                elif isinstance(m, timm.layers.LayerScale):
                    m.gamma.copy_(torch.empty(m.gamma.shape).uniform_(0.2, 1.0))
            model.cls_token.copy_(torch.randn(model.cls_token.shape) * 0.5)
            model.pos_embed.copy_(torch.randn(model.pos_embed.shape) * 0.2)
            model.patch_embed.proj.bias.copy_(torch.randn(model.patch_embed.proj.bias.shape) * 0.1)
        head = model.get_classifier()  # classifier (MobileNet, EfficientNet), fc (ResNet), head (ViT)
        head.bias.copy_(torch.randn(head.out_features) * 0.1)


# TIMM_ORACLE_ONLY=name,name writes only those fixtures (while working on one family).
only = set(filter(None, os.environ.get("TIMM_ORACLE_ONLY", "").split(",")))
for name, (arch, cfg) in MODELS.items():
    if only and name not in only:
        continue
    folder = out / name
    model = timm.create_model(arch, pretrained=False, **MODEL_ARGS.get(name, {}))
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
