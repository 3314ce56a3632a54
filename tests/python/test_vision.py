"""embetter.vision: ImageLoader against Pillow, ColorHistogramEncoder against the
original embetter's own code (run from its source in a subprocess, since its
package name is ours), the C++ decoder against Pillow."""
import json
import os
import pickle
import subprocess
import sys

import numpy as np
import pytest
from sklearn.base import clone
from sklearn.pipeline import make_pipeline

from conftest import ROOT, SHARED, require

Image = pytest.importorskip("PIL.Image")
ImageOps = pytest.importorskip("PIL.ImageOps")

from embetter import _core  # noqa: E402
from embetter.grab import ColumnGrabber  # noqa: E402
from embetter.vision import ColorHistogramEncoder, ImageLoader  # noqa: E402

REFERENCE = ROOT / ".venv" / "reference-embetter"
CAT = SHARED / "data" / "thiscatdoesnotexist.jpeg"
BUCKETS = [5, 10, 25, 128, 256]

# The original's ImageLoader + ColorHistogramEncoder on the paths in argv[1]
# (a JSON list), for each n_buckets; the results go to argv[2] (.npz).
ORIGINAL = """
import json, sys
import numpy as np
import embetter
assert embetter.__file__.startswith(sys.argv[3]), embetter.__file__
from embetter.vision import ImageLoader, ColorHistogramEncoder
paths = json.loads(open(sys.argv[1]).read())
images = ImageLoader().fit_transform(paths)
out = {str(n): ColorHistogramEncoder(n_buckets=n).fit_transform(images) for n in %r}
np.savez(sys.argv[2], **out)
""" % (BUCKETS,)


def run_original(paths, tmp_path):
    listing, result = tmp_path / "paths.json", tmp_path / "original.npz"
    listing.write_text(json.dumps([str(p) for p in paths]))
    env = dict(os.environ, PYTHONPATH=str(REFERENCE))
    proc = subprocess.run([sys.executable, "-c", ORIGINAL, str(listing), str(result), str(REFERENCE)],
                          cwd=tmp_path, env=env, capture_output=True, text=True, timeout=600)
    assert proc.returncode == 0, proc.stderr[-3000:]
    with np.load(result) as z:
        return {int(k): z[k] for k in z.files}


def generated_images(folder, count=120, seed=14):
    """PNG files of varied sizes (odd, non-square, 1-pixel) and value patterns:
    uniform noise, values sitting exactly on bin edges, narrow ranges."""
    rng = np.random.default_rng(seed)
    edges = np.unique(np.concatenate([np.floor(np.linspace(0, 255, n + 1)) for n in BUCKETS]))
    paths = []
    for i in range(count):
        h, w = (1, 1) if i == 0 else (int(rng.integers(1, 90)), int(rng.integers(1, 130)))
        kind = i % 3
        if kind == 0:
            arr = rng.integers(0, 256, size=(h, w, 3))
        elif kind == 1:
            arr = rng.choice(np.concatenate([edges, edges - 1, edges + 1]).clip(0, 255), size=(h, w, 3))
        else:
            lo = int(rng.integers(0, 200))
            arr = rng.integers(lo, lo + 56, size=(h, w, 3))
        path = folder / f"img{i:03d}.png"
        Image.fromarray(arr.astype(np.uint8), "RGB").save(path)
        paths.append(path)
    return paths


@pytest.fixture(scope="module")
def original_and_images(tmp_path_factory):
    require(REFERENCE / "embetter" / "vision" / "_colorhist.py")
    folder = tmp_path_factory.mktemp("vision")
    paths = generated_images(folder) + [require(CAT)]
    return paths, run_original(paths, folder)


@pytest.mark.parametrize("n_buckets", BUCKETS)
def test_color_histograms_equal_the_originals_exactly(original_and_images, n_buckets):
    paths, original = original_and_images
    assert len(paths) >= 100
    images = ImageLoader().fit_transform(paths)
    ours = ColorHistogramEncoder(n_buckets=n_buckets).fit_transform(images)
    assert ours.dtype == np.float64 and ours.shape == (len(paths), 3 * n_buckets)
    np.testing.assert_array_equal(ours, original[n_buckets])
    # The same numbers from the paths, decoded in C++ (PNG and the cat's JPEG),
    # and from ImageLoader(out="numpy")'s arrays.
    np.testing.assert_array_equal(ColorHistogramEncoder(n_buckets=n_buckets).transform(paths), original[n_buckets])
    arrays = ImageLoader(out="numpy").fit_transform(paths)
    np.testing.assert_array_equal(ColorHistogramEncoder(n_buckets=n_buckets).transform(arrays), original[n_buckets])


def numpy_histograms(arr, n):
    bins = np.linspace(0, 255, n + 1)
    return np.concatenate([np.histogram(arr[:, :, k].flatten(), bins=bins)[0] for k in range(3)])


def test_grey_rgba_palette_and_float_inputs():
    rng = np.random.default_rng(3)
    rgb = rng.integers(0, 256, size=(31, 17, 3)).astype(np.uint8)
    rgba = np.dstack([rgb, rng.integers(0, 256, size=(31, 17))]).astype(np.uint8)
    grey = rgb[:, :, 0]
    enc = ColorHistogramEncoder(n_buckets=10)
    as_rgb = lambda im: numpy_histograms(np.asarray(im.convert("RGB")), 10)  # noqa: E731
    # RGBA: alpha ignored, as the original (and as convert("RGB")).
    np.testing.assert_array_equal(enc.transform([Image.fromarray(rgba, "RGBA")])[0], numpy_histograms(rgba, 10))
    # Grey (L, LA, a 2-D array): as convert("RGB"), the value counted as R, G and B.
    for im in (Image.fromarray(grey, "L"), Image.fromarray(grey, "L").convert("LA")):
        np.testing.assert_array_equal(enc.transform([im])[0], as_rgb(im))
    np.testing.assert_array_equal(enc.transform([grey])[0], as_rgb(Image.fromarray(grey, "L")))
    # Palette, CMYK, 1-bit: converted with convert("RGB") first.
    for im in (Image.fromarray(rgb).quantize(20), Image.fromarray(rgba, "CMYK"), Image.fromarray(grey).convert("1")):
        np.testing.assert_array_equal(enc.transform([im])[0], as_rgb(im))
    # Float arrays follow np.histogram: out-of-range values and NaN are not counted.
    floats = rgb.astype(np.float64) + rng.uniform(-0.5, 0.5, size=rgb.shape)
    floats[0, 0, 0] = np.nan
    np.testing.assert_array_equal(enc.transform([floats])[0], numpy_histograms(floats, 10))


def test_encoder_parameters_errors_and_sklearn_plumbing(tmp_path):
    for bad in (0, -3, 2.5, "8", True):
        with pytest.raises(ValueError, match="n_buckets"):
            ColorHistogramEncoder(n_buckets=bad).fit_transform([np.zeros((2, 2, 3), np.uint8)])
    with pytest.raises(ValueError, match="channels"):
        ColorHistogramEncoder().transform([np.zeros((2, 2, 0), np.uint8)])
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"\xff\xd8\xff\xe0 not really a jpeg")
    with pytest.raises(OSError, match="broken.jpg: JPEG image: corrupt"):
        ColorHistogramEncoder().transform([str(broken)])
    with pytest.raises(OSError, match="not a JPEG, PNG or WebP image"):
        ColorHistogramEncoder().transform([__file__])
    assert ColorHistogramEncoder().transform([]).shape == (0, 768)
    enc = ColorHistogramEncoder(n_buckets=7)
    assert clone(enc).get_params() == {"n_buckets": 7}
    x = [np.full((3, 5, 3), 200, np.uint8)]
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(enc)).transform(x), enc.transform(x))


def test_pipeline_from_a_dataframe_column():
    pd = pytest.importorskip("pandas")
    df = pd.DataFrame({"filepaths": [str(require(CAT))] * 2})
    pipe = make_pipeline(ColumnGrabber("filepaths"), ImageLoader(), ColorHistogramEncoder())
    out = pipe.fit_transform(df)
    assert out.shape == (2, 768) and out.sum() == 3 * np.prod(Image.open(CAT).size) * 2


@pytest.fixture(scope="module")
def image_files(tmp_path_factory):
    """JPEG, PNG, WebP, grey, RGBA, palette and EXIF-rotated files, written by Pillow."""
    folder = tmp_path_factory.mktemp("loader")
    rng = np.random.default_rng(7)
    rgb = Image.fromarray(rng.integers(0, 256, size=(21, 34, 3)).astype(np.uint8), "RGB")
    rgba = Image.fromarray(rng.integers(0, 256, size=(15, 9, 4)).astype(np.uint8), "RGBA")
    files = {}

    def save(name, img, **kw):
        files[name] = folder / name
        img.save(files[name], **kw)

    save("rgb.jpg", rgb, quality=85)
    save("grey.jpg", rgb.convert("L"))
    save("rgb.png", rgb)
    save("grey.png", rgb.convert("L"))
    save("rgba.png", rgba)
    save("la.png", rgba.convert("LA"))
    save("palette.png", rgb.quantize(16))
    save("lossy.webp", rgb, quality=70)
    save("rgba.webp", rgba, lossless=True)
    save("rgba_lossy.webp", rgba, quality=70)
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        for ext in ("jpg", "png", "webp"):
            save(f"exif{orientation}.{ext}", rgb, exif=exif.tobytes())
    return files


@pytest.mark.parametrize("convert", ["RGB", "L", "RGBA"])
def test_image_loader_equals_pillow(image_files, convert):
    paths = list(image_files.values())
    ours = ImageLoader(convert=convert).fit_transform(paths)
    assert all(isinstance(im, Image.Image) and im.mode == convert for im in ours)
    for path, im in zip(paths, ours):
        np.testing.assert_array_equal(np.asarray(im), np.asarray(Image.open(path).convert(convert)), err_msg=str(path))
    arrays = ImageLoader(convert=convert, out="numpy").fit_transform(paths)
    assert arrays.dtype == object and len(arrays) == len(paths)  # sizes differ: one array per image
    same = [p for p in paths if Image.open(p).size == (34, 21)]
    stacked = ImageLoader(convert=convert, out="numpy").fit_transform(same)
    assert stacked.dtype == np.uint8 and stacked.shape[:3] == (len(same), 21, 34)


def test_image_loader_rejects_an_unknown_out():
    loader = ImageLoader(out="tensor")
    with pytest.raises(ValueError, match="out='tensor'; expected 'pil' or 'numpy'"):
        loader.fit([])
    with pytest.raises(ValueError, match="out='tensor'"):
        loader.transform([str(CAT)])
    assert clone(ImageLoader(convert="L")).get_params() == {"convert": "L", "out": "pil"}


def test_cpp_decoder_equals_pillow(image_files):
    """_core.read_image: every file as Pillow decodes it (grey and alpha kept),
    and with exif_transpose as ImageOps.exif_transpose turns it."""
    def pixels(im):  # palettes come out expanded to RGB
        return np.asarray(im.convert("RGB") if im.mode == "P" else im)

    for name, path in image_files.items():
        want = pixels(Image.open(path))
        got = _core.read_image(str(path))
        np.testing.assert_array_equal(got, want.reshape(got.shape), err_msg=name)
        turned = pixels(ImageOps.exif_transpose(Image.open(path)))
        got = _core.read_image(str(path), exif_transpose=True)
        np.testing.assert_array_equal(got, turned.reshape(got.shape), err_msg=name)
    with pytest.raises(OSError, match="over the limit of 10"):
        _core.read_image(str(image_files["rgb.png"]), max_pixels=10)
    assert _core.DEFAULT_MAX_IMAGE_PIXELS == 2 * Image.MAX_IMAGE_PIXELS
