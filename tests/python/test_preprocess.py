"""The bindings of Pillow's resize and the CLIP / timm preprocessing
(embetter._core): array and path inputs, shapes, errors. The numbers are
checked against Pillow, transformers and timm by the C++ suite
(tests/unit/image/preprocess_test.cc); here only Pillow's resize, which is cheap."""
import json

import numpy as np
import pytest

from conftest import SHARED, require

Image = pytest.importorskip("PIL.Image")

from embetter import _core  # noqa: E402

CAT = SHARED / "data" / "thiscatdoesnotexist.jpeg"


@pytest.mark.parametrize("mode,channels", [("L", 1), ("LA", 2), ("RGB", 3), ("RGBA", 4)])
def test_resize_image_equals_pillow(mode, channels):
    rng = np.random.default_rng(channels)
    pixels = rng.integers(0, 256, size=(37, 53, channels), dtype=np.uint8)
    arr = pixels[:, :, 0] if channels == 1 else pixels
    img = Image.fromarray(arr, mode)
    for size in [(20, 11), (101, 40), (53, 9), (7, 90)]:
        for resample in range(6):
            expected = np.asarray(img.resize(size, resample))
            np.testing.assert_array_equal(_core.resize_image(arr, size, resample), expected)


def test_preprocess_clip_shapes_and_inputs():
    require(CAT)
    cfg = _core.ClipPreprocessConfig()
    from_path = _core.preprocess_clip(str(CAT), cfg)
    assert from_path.dtype == np.float32 and from_path.shape == (3, 224, 224) and from_path.flags.c_contiguous
    from_array = _core.preprocess_clip(np.asarray(Image.open(CAT).convert("RGB")), cfg)
    np.testing.assert_array_equal(from_path, from_array)
    cfg.do_center_crop = False
    assert _core.preprocess_clip(np.zeros((10, 20, 3), np.uint8), cfg).shape == (3, 224, 448)


def test_clip_config_from_file(tmp_path):
    path = tmp_path / "preprocessor_config.json"
    path.write_text(json.dumps({"size": {"shortest_edge": 64}, "crop_size": {"height": 32, "width": 48},
                                "resample": 2, "image_mean": 0.5, "image_std": 0.5}))
    cfg = _core.ClipPreprocessConfig.from_file(str(path))
    assert (cfg.shortest_edge, cfg.crop_height, cfg.crop_width, cfg.resample) == (64, 32, 48, 2)
    assert _core.preprocess_clip(np.zeros((5, 5, 3), np.uint8), cfg).shape == (3, 32, 48)
    path.write_text(json.dumps({"crop_size": "large"}))
    with pytest.raises(ValueError, match="crop_size") as err:
        _core.ClipPreprocessConfig.from_file(str(path))
    assert str(path) in str(err.value)


def test_preprocess_timm_shape_and_errors():
    cfg = _core.TimmPreprocessConfig()
    cfg.input_height, cfg.input_width, cfg.crop_mode = 40, 30, "border"
    out = _core.preprocess_timm(np.full((9, 70, 4), 200, np.uint8), cfg)
    assert out.dtype == np.float32 and out.shape == (3, 40, 30)
    with pytest.raises(ValueError, match="dtype"):
        _core.preprocess_timm(np.zeros((4, 4, 3), np.float32), cfg)
    with pytest.raises(ValueError, match="empty"):
        _core.preprocess_timm(np.zeros((0, 4, 3), np.uint8), cfg)
    with pytest.raises(ValueError, match="5 channels"):
        _core.resize_image(np.zeros((4, 4, 5), np.uint8), (2, 2))
