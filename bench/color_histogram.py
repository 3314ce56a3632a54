#!/usr/bin/env python3
"""ColorHistogramEncoder: ours against the original embetter 0.9.1, same images, same run.

Workload: --images Pillow RGB images (default 1,000) of random sizes between
64 and 512 pixels a side (uniform noise, seeded), as ImageLoader gives them;
n_buckets=256 (the default). Both sides get the same list of images already
in memory, so decoding is not timed. The original runs from its source
(.venv/reference-embetter) in a subprocess, since its package name is ours;
the images reach it as one .npz of arrays, turned back into Pillow images
before timing. Each side runs --repeats times; the best wall time counts, and
the rows of both are checked to be equal.

    PYTHONPATH=python .venv/bin/python bench/color_histogram.py [--images 1000] [--repeats 3]

Prints the CPU model (/proc/cpuinfo), embetter's kernel level
(embetter._core.kernel_isa()), the load average, both times and the ratio.
"""
import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
REFERENCE = ROOT / ".venv" / "reference-embetter"

ORIGINAL = r"""
import sys, time
import numpy as np
from PIL import Image
from embetter.vision import ColorHistogramEncoder
with np.load(sys.argv[1]) as z:
    images = [Image.fromarray(z[k]) for k in sorted(z.files)]
best = float("inf")
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    out = ColorHistogramEncoder().transform(images)
    best = min(best, time.perf_counter() - t)
np.save(sys.argv[2], out)
print(best)
"""


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    from embetter import _core
    from embetter.vision import ColorHistogramEncoder

    rng = np.random.default_rng(0)
    arrays = [rng.integers(0, 256, size=(int(rng.integers(64, 513)), int(rng.integers(64, 513)), 3), dtype=np.uint8)
              for _ in range(args.images)]
    images = [Image.fromarray(a) for a in arrays]
    with tempfile.TemporaryDirectory() as tmp:
        npz, result = Path(tmp) / "images.npz", Path(tmp) / "original.npy"
        np.savez(npz, **{f"{i:06d}": a for i, a in enumerate(arrays)})
        env = dict(os.environ, PYTHONPATH=str(REFERENCE))
        proc = subprocess.run([sys.executable, "-c", ORIGINAL, str(npz), str(result), str(args.repeats)],
                              env=env, capture_output=True, text=True, check=True, cwd=tmp)
        original_s = float(proc.stdout.strip().splitlines()[-1])
        original = np.load(result)

    enc = ColorHistogramEncoder()
    ours_s = float("inf")
    for _ in range(args.repeats):
        t = time.perf_counter()
        ours = enc.transform(images)
        ours_s = min(ours_s, time.perf_counter() - t)
    assert np.array_equal(ours, original), "the histograms differ from the original's"

    pixels = sum(a.shape[0] * a.shape[1] for a in arrays)
    print(f"CPU: {cpu_model()}; kernel level: {_core.kernel_isa()}; load average: {os.getloadavg()[0]:.2f}")
    print(f"{args.images} Pillow RGB images, {pixels / 1e6:.1f} Mpixels, n_buckets=256, best of {args.repeats}")
    print("| | seconds | images/s |")
    print("|---|---|---|")
    print(f"| original 0.9.1 (numpy) | {original_s:.3f} | {args.images / original_s:.0f} |")
    print(f"| embetter (C++) | {ours_s:.3f} | {args.images / ours_s:.0f} |")
    print(f"ratio (original / ours): {original_s / ours_s:.1f}x; outputs equal: yes")


if __name__ == "__main__":
    main()
