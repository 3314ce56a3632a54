"""Goldens for the image preprocessing (tests/unit/image/preprocess_test.cc).

argv[1]: output folder, argv[2]: the shared data folder. Writes
  inputs.bin     the test images, raw uint8 height x width x channels, back to back;
  resize.bin     Pillow 13's Image.resize of them, raw uint8, back to back;
  clip.bin       transformers' CLIPImageProcessor pixel_values, float32 3 x H x W;
  timm.bin       timm's eval transform (create_transform(**resolve_data_config)), float32
                 (only when timm is there);
  clip-*/preprocessor_config.json  the CLIP configurations used;
  manifest.json  what each record is and where it starts.
transformers 5 gives CLIPImageProcessorPil (Pillow resize) where torchvision is
not installed, as in the project's environment; the oracle checks it got that.
timm needs torchvision, which is kept apart in .venv/timm-oracle (see
scripts/setup.sh): its CUDA build cannot load its C ops next to the CPU torch,
so their two schemas are declared before import; the transforms used here
(Resize, CenterCrop, ToTensor, Normalize on PIL images) need none of them.
Without that folder the timm goldens are left out (the tests skip, or fail
under CI=true).
"""
import json
import sys
import warnings
from pathlib import Path

import numpy as np
from PIL import Image

out = Path(sys.argv[1])
shared = Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(14)
MODES = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}


def smooth(h, w, c):
    """A gradient with noise (every value occurs), alpha with 0, 255 and partial values."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 7) % 256, (x * y) % 256], -1)
    img = ((base + rng.integers(0, 40, size=(h, w, 4))) % 256).astype(np.uint8)[:, :, :c]
    if c in (2, 4):
        img[..., -1] = rng.choice([0, 255, 255, 1, 77, 128, 200, 254], size=(h, w))
    return img


def pil(arr, mode):
    return Image.fromarray(arr[:, :, 0] if arr.shape[2] == 1 else arr, mode)


class Blob:
    """Records appended to one binary file, with their offsets."""

    def __init__(self, name):
        self.path = out / name
        self.parts = []
        self.size = 0

    def add(self, array):
        data = np.ascontiguousarray(array).tobytes()
        self.parts.append(data)
        self.size += len(data)
        return self.size - len(data)

    def close(self):
        self.path.write_bytes(b"".join(self.parts))


inputs, resized, clip_bin, timm_bin = Blob("inputs.bin"), Blob("resize.bin"), Blob("clip.bin"), Blob("timm.bin")
manifest = {"inputs": [], "resize": [], "clip": [], "timm": []}


def add_input(name, arr, mode):
    manifest["inputs"].append({"name": name, "mode": mode, "height": arr.shape[0], "width": arr.shape[1],
                               "channels": arr.shape[2], "offset": inputs.add(arr)})
    return pil(arr, mode)


images = {}
sizes = [(1, 1), (2, 3), (3, 2), (7, 5), (17, 33), (64, 48), (101, 7), (7, 101), (224, 224), (225, 223),
         (300, 200)]
for (h, w) in sizes:
    for mode, c in MODES.items():
        name = f"{mode}_{h}x{w}"
        images[name] = add_input(name, smooth(h, w, c), mode)
for (h, w) in [(480, 640), (231, 1000)]:
    images[f"RGB_{h}x{w}"] = add_input(f"RGB_{h}x{w}", smooth(h, w, 3), "RGB")
images["RGBA_480x640"] = add_input("RGBA_480x640", smooth(480, 640, 4), "RGBA")
cat = Image.open(shared / "data" / "thiscatdoesnotexist.jpeg")
cat.load()
images["cat"] = add_input("cat", np.asarray(cat.convert("RGB")), "RGB")

# --- Pillow's resize: every filter, up, down, one axis, both, mixed ----------
FILTERS = [Image.Resampling.NEAREST, Image.Resampling.LANCZOS, Image.Resampling.BILINEAR,
           Image.Resampling.BICUBIC, Image.Resampling.BOX, Image.Resampling.HAMMING]


def targets(w, h):
    t = {(1, 1), (w, h), (2 * w + 1, h), (w, 3 * h), (max(1, w // 2), max(1, h // 3)), (5, 9), (w + 1, h + 1),
         (max(1, w // 3), h * 2), (max(1, (w * 9) // 10), max(1, h // 5))}
    return sorted(t)


for name, img in images.items():
    w, h = img.size
    if max(w, h) > 400:
        pairs = [(224, 168), (97, 31)]
    elif max(w, h) > 200:  # grey ones are covered by the smaller images
        pairs = [(1, 1), (5, 9)] + ([(w // 2, h // 3), (w * 9 // 10, h // 5)]
                                    if img.mode in ("RGB", "RGBA") else [])
    else:
        pairs = targets(w, h)
    for (tw, th) in pairs:
        for f in FILTERS:
            res = np.asarray(img.resize((tw, th), f))
            manifest["resize"].append({"input": name, "width": tw, "height": th, "filter": int(f),
                                       "offset": resized.add(res)})

# --- transformers' CLIPImageProcessor ------------------------------------------
from transformers import AutoImageProcessor  # noqa: E402

CLIP_CONFIGS = {
    # openai/clip-vit-base-patch32's preprocessor_config.json, as published.
    "clip-vit-base-patch32": {
        "crop_size": 224, "do_center_crop": True, "do_normalize": True, "do_resize": True,
        "feature_extractor_type": "CLIPFeatureExtractor", "image_mean": [0.48145466, 0.4578275, 0.40821073],
        "image_std": [0.26862954, 0.26130258, 0.27577711], "resample": 3, "size": 224},
    # Other keys and forms: dict sizes, bilinear, a crop larger than the resize (padding), scalar mean.
    "clip-variant": {
        "image_processor_type": "CLIPImageProcessor", "size": {"shortest_edge": 40},
        "crop_size": {"height": 48, "width": 36}, "resample": 2, "image_mean": 0.5, "image_std": [0.25, 0.5, 0.75],
        "rescale_factor": 0.00392156862745098, "do_convert_rgb": True},
    "clip-exact-size": {
        "image_processor_type": "CLIPImageProcessor", "size": {"height": 30, "width": 50}, "do_center_crop": False,
        "resample": 1, "do_normalize": True},
}
# Every output of the first configuration is 3 x 224 x 224 whatever the input: a
# dozen inputs cover the cases (grey, alpha, tiny, thin, exact, odd, large).
CLIP_BIG = ["L_1x1", "LA_2x3", "RGB_17x33", "RGBA_101x7", "RGB_7x101", "RGB_224x224", "RGB_225x223", "LA_300x200",
            "RGB_480x640", "RGB_231x1000", "RGBA_480x640", "cat"]
CLIP_SMALL = [n for n in images if not n.endswith(("_3x2", "_7x5"))]
for cname, cfg in CLIP_CONFIGS.items():
    folder = out / cname
    folder.mkdir(exist_ok=True)
    (folder / "preprocessor_config.json").write_text(json.dumps(cfg, indent=1))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        proc = AutoImageProcessor.from_pretrained(folder)
    assert type(proc).__name__ == "CLIPImageProcessorPil", type(proc).__name__
    for name in CLIP_BIG if cname == "clip-vit-base-patch32" else CLIP_SMALL:
        pv = proc(images=images[name], return_tensors="np")["pixel_values"][0]
        assert pv.dtype == np.float32 and pv.shape[0] == 3, (pv.dtype, pv.shape)
        manifest["clip"].append({"config": cname, "input": name, "height": pv.shape[1], "width": pv.shape[2],
                                 "offset": clip_bin.add(pv)})

# --- timm's eval transform --------------------------------------------------------
from timm_import import import_timm  # noqa: E402

timm = import_timm(required=False)
if timm is not None:
    from timm.data import create_transform, resolve_data_config  # noqa: E402

    timm_configs = {}
    for model in ("mobilenetv3_large_100", "vit_base_patch16_224", "convnext_tiny"):
        cfg = resolve_data_config({}, pretrained_cfg=timm.models.get_pretrained_cfg(model).to_dict())
        timm_configs[model] = cfg
    base = dict(mean=(0.485, 0.456, 0.406), std=(0.229, 0.224, 0.225))
    # The other crop modes, filters and non-square sizes at small sizes (the
    # goldens' size grows with the output, not the input).
    timm_configs["squash-bilinear-56"] = dict(base, input_size=(3, 56, 56), interpolation="bilinear", crop_pct=0.9,
                                              crop_mode="squash")
    timm_configs["border-lanczos-60x50"] = dict(base, input_size=(3, 60, 50), interpolation="lanczos",
                                                crop_pct=0.95, crop_mode="border")
    timm_configs["center-box-64x48"] = dict(base, input_size=(3, 64, 48), interpolation="box", crop_pct=0.95,
                                            crop_mode="center")
    timm_configs["center-nearest-32"] = dict(base, input_size=(3, 32, 32), interpolation="nearest", crop_pct=1.0,
                                             crop_mode="center")
    timm_configs["center-hamming-48x40"] = dict(base, input_size=(3, 48, 40), interpolation="hamming",
                                                crop_pct=0.8, crop_mode="center")
    timm_inputs = ["RGB_1x1", "RGB_2x3", "RGB_101x7", "RGB_7x101", "RGB_224x224", "RGB_225x223", "RGB_300x200",
                   "RGB_480x640", "RGBA_64x48", "L_17x33", "cat"]
    per_config = {"mobilenetv3_large_100": ["RGB_2x3", "RGB_101x7", "RGB_225x223", "RGB_231x1000", "RGBA_64x48",
                                            "cat"],
                  "vit_base_patch16_224": ["RGB_7x101", "RGB_300x200", "cat"],
                  "convnext_tiny": ["RGB_1x1", "RGB_480x640", "L_17x33"]}
    for cname, cfg in timm_configs.items():
        transform = create_transform(**cfg)
        for name in per_config.get(cname, timm_inputs):
            t = transform(images[name].convert("RGB")).numpy()
            assert t.dtype == np.float32 and t.shape == tuple(cfg["input_size"]), (t.dtype, t.shape)
            manifest["timm"].append({"config": cname, "input": name, "offset": timm_bin.add(t)})
    manifest["timm_configs"] = {k: {"input_size": list(v["input_size"]), "interpolation": v["interpolation"],
                                    "crop_pct": v["crop_pct"], "crop_mode": v.get("crop_mode", "center"),
                                    "mean": list(v["mean"]), "std": list(v["std"])} for k, v in timm_configs.items()}
    manifest["timm_version"] = timm.__version__
else:
    print(f"no timm in {TIMM} (scripts/setup.sh installs it): timm goldens left out", file=sys.stderr)

for blob in (inputs, resized, clip_bin) + ((timm_bin,) if manifest["timm"] else ()):
    blob.close()
(out / "manifest.json").write_text(json.dumps(manifest, indent=1))
print(f"{len(manifest['inputs'])} images, {len(manifest['resize'])} resizes, {len(manifest['clip'])} CLIP and "
      f"{len(manifest['timm'])} timm cases in {out}")
