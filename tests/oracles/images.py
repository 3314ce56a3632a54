"""Reference images for tests/unit/image, written and decoded by Pillow.

argv[1]: output folder. Each case is an encoded file plus the pixels Pillow
decodes from it (raw uint8, height x width x channels), listed in
manifest.json with the layout our decoder is expected to return.
"""
import io
import json
import struct
import sys
import zlib
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps

out = Path(sys.argv[1])
out.mkdir(parents=True, exist_ok=True)
rng = np.random.default_rng(14)
cases = []


def smooth(h, w, c):
    """A gradient with some noise: compresses like a photo, exercises every value."""
    y, x = np.mgrid[0:h, 0:w]
    base = np.stack([(x * 255 // max(w - 1, 1)), (y * 255 // max(h - 1, 1)), ((x + y) * 7) % 256, (x * y) % 256], -1)
    noise = rng.integers(0, 24, size=(h, w, 4))
    return ((base + noise) % 256).astype(np.uint8)[:, :, :c]


def add(name, data, expected, transpose=False):
    (out / name).write_bytes(data)
    arr = np.asarray(expected)
    if arr.ndim == 2:
        arr = arr[:, :, None]
    (out / (name + ".pixels")).write_bytes(np.ascontiguousarray(arr, dtype=np.uint8).tobytes())
    cases.append({"file": name, "height": arr.shape[0], "width": arr.shape[1], "channels": arr.shape[2],
                  "exif_transpose": transpose})


def encode(img, fmt, **kw):
    buf = io.BytesIO()
    img.save(buf, fmt, **kw)
    return buf.getvalue()


def pil(data):
    return Image.open(io.BytesIO(data))


modes = {"L": 1, "LA": 2, "RGB": 3, "RGBA": 4}
for (h, w) in [(1, 1), (17, 33), (64, 48), (101, 7)]:
    for mode, c in modes.items():
        img = Image.fromarray(smooth(h, w, c).squeeze(-1) if c == 1 else smooth(h, w, c), mode)
        if mode in ("L", "RGB"):
            for sub in (0, 2):  # 4:4:4 and 4:2:0 chroma subsampling
                data = encode(img, "JPEG", quality=90, subsampling=sub)
                add(f"jpeg_{mode}_{h}x{w}_s{sub}.jpg", data, pil(data))
            data = encode(img, "JPEG", quality=75, progressive=True)
            add(f"jpeg_{mode}_{h}x{w}_progressive.jpg", data, pil(data))
        data = encode(img, "PNG")
        add(f"png_{mode}_{h}x{w}.png", data, pil(data))
        if mode in ("RGB", "RGBA"):
            for lossless in (False, True):
                data = encode(img, "WEBP", lossless=lossless, quality=80)
                add(f"webp_{mode}_{h}x{w}_{'lossless' if lossless else 'lossy'}.webp", data, pil(data))

# PNG variants libpng must expand: palette (with and without tRNS), 1/2/4-bit
# grey, 16-bit RGB(A) (Pillow keeps the high byte), interlaced.
src = Image.fromarray(smooth(23, 31, 3), "RGB")
pal = src.quantize(colors=37)
data = encode(pal, "PNG")
add("png_palette.png", data, pil(data).convert("RGB"))
data = encode(pal, "PNG", transparency=5)
add("png_palette_trns.png", data, pil(data).convert("RGBA"))
for bits in (1, 2, 4):
    grey = Image.fromarray((smooth(19, 21, 1).squeeze(-1) >> (8 - bits)).astype(np.uint8), "L")
    data = encode(grey, "PNG", bits=bits)
    add(f"png_grey_{bits}bit.png", data, pil(data).convert("L"))
rgb16 = (smooth(9, 13, 3).astype(np.uint16) * 257 + rng.integers(0, 256, size=(9, 13, 3))).astype(">u2")


def png_chunk(tag, payload):
    return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", zlib.crc32(tag + payload))


def raw_png(arr, color_type, depth):
    h, w = arr.shape[:2]
    rows = b"".join(b"\0" + arr[y].tobytes() for y in range(h))
    return (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, depth, color_type, 0, 0, 0))
            + png_chunk(b"IDAT", zlib.compress(rows)) + png_chunk(b"IEND", b""))


data = raw_png(rgb16, 2, 16)
add("png_rgb_16bit.png", data, pil(data).convert("RGB"))
# Pillow cannot write Adam7 interlacing: the file is assembled here, pass by pass.
adam = smooth(37, 29, 3)
passes = [(0, 0, 8, 8), (4, 0, 8, 8), (0, 4, 4, 8), (2, 0, 4, 4), (0, 2, 2, 4), (1, 0, 2, 2), (0, 1, 1, 2)]
raw = b""
for (x0, y0, dx, dy) in passes:
    sub = adam[y0::dy, x0::dx]
    if sub.size:
        raw += b"".join(b"\0" + sub[y].tobytes() for y in range(sub.shape[0]))
data = (b"\x89PNG\r\n\x1a\n" + png_chunk(b"IHDR", struct.pack(">IIBBBBB", 29, 37, 8, 2, 0, 0, 1))
        + png_chunk(b"IDAT", zlib.compress(raw)) + png_chunk(b"IEND", b""))
add("png_interlaced.png", data, pil(data))
# CMYK JPEG (Pillow writes it Adobe-inverted), expected as Pillow converts it to RGB.
cmyk = Image.fromarray(smooth(16, 24, 4), "CMYK")
data = encode(cmyk, "JPEG", quality=95)
add("jpeg_cmyk.jpg", data, pil(data).convert("RGB"))

# EXIF orientations 1..8 in every format, as exif_transpose turns them
# (and untouched without exif_transpose).
base = Image.fromarray(smooth(12, 20, 3), "RGB")
for fmt, ext in (("JPEG", "jpg"), ("PNG", "png"), ("WEBP", "webp")):
    for orientation in range(1, 9):
        exif = Image.Exif()
        exif[0x0112] = orientation
        kw = {"quality": 95} if fmt != "PNG" else {}
        if fmt == "WEBP":
            kw["lossless"] = True
        data = encode(base, fmt, exif=exif.tobytes(), **kw)
        name = f"exif_{orientation}.{ext}"
        add(name, data, ImageOps.exif_transpose(pil(data)), transpose=True)
        add("raw_" + name, data, pil(data))
# Big-endian EXIF (Motorola order).
data = encode(base, "JPEG", quality=95, exif=b"Exif\0\0MM\0*\0\0\0\x08\0\x01\x01\x12\0\x03\0\0\0\x01\0\x06\0\0\0\0\0\0")
add("exif_6_motorola.jpg", data, ImageOps.exif_transpose(pil(data)), transpose=True)

(out / "manifest.json").write_text(json.dumps(cases, indent=1))
print(f"{len(cases)} images in {out}")
