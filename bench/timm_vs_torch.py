#!/usr/bin/env python3
"""TimmEncoder against timm (torch, CPU), same model, same images, same run.

Model: each --arch (default mobilenetv3_large_100) at its real shape with
random weights and randomised BatchNorm statistics (no pretrained checkpoint
is reachable offline), saved once into --work as timm's Hugging Face folder
(config.json, model.safetensors) and loaded by both sides from there.

Workload: --images JPEG files (seeded, 320-640 pixels a side, quality 90)
from the file to the embedding (num_classes=0 features):
- ours: TimmEncoder.transform of the paths (decoding, timm's eval transform
  and the model in C++);
- timm: Pillow's decode and convert("RGB"), timm's eval transform
  (create_transform(**resolve_data_config)), then the model in eval mode
  under torch.inference_mode, in batches of 32 (the reference at its best);
- the original embetter's way, where --original: each image through the
  model alone, as its TimmEncoder.transform does (no eval(), no no_grad).
Each at each --threads count (torch.set_num_threads; our num_threads),
--repeats times, best wall time; rows checked against each other (cosine).

    PYTHONPATH=python .venv/bin/python bench/timm_vs_torch.py [--images 64] [--arch ...]

Prints the CPU model, our kernel level, the load average and the ratios.
"""
import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "tests" / "oracles"))

from clip_vs_sentence_transformers import best_of, cpu_model, min_cosine, write_images  # noqa: E402
from timm_import import import_timm  # noqa: E402


def write_model(timm, arch: str, folder: Path):
    if (folder / "model.safetensors").exists():
        return
    torch.manual_seed(0)
    model = timm.create_model(arch, pretrained=False)
    with torch.no_grad():  # trained-like BatchNorm statistics, so that folding them is exercised
        for m in model.modules():
            if isinstance(m, torch.nn.BatchNorm2d):
                m.running_mean.normal_(0, 0.2)
                m.running_var.uniform_(0.5, 2.0)
    from timm.models import save_for_hf

    save_for_hf(model.eval(), folder, safe_serialization=True)
    (folder / "pytorch_model.bin").unlink(missing_ok=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--arch", nargs="+", default=["mobilenetv3_large_100"])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--original", action="store_true", help="also time the original embetter's per-image loop")
    parser.add_argument("--work", default=str(ROOT / "build" / "bench-timm"))
    args = parser.parse_args()

    timm = import_timm()
    from timm.data import create_transform, resolve_data_config

    from embetter import _core
    from embetter.vision import TimmEncoder

    work = Path(args.work)
    paths = write_images(work / "images", args.images)
    print(f"CPU: {cpu_model()}; our kernels: {_core.kernel_isa()}; load average {os.getloadavg()[0]:.2f}")
    print(f"{args.images} JPEG images 320-640 px, file to features")
    print("arch | threads | ours s | timm batched s | ratio | min cosine" + (" | original s | ratio" if args.original else ""))
    for arch in args.arch:
        folder = work / arch
        write_model(timm, arch, folder)
        model = timm.create_model(f"local-dir:{folder}", pretrained=True, num_classes=0).eval()
        transform = create_transform(**resolve_data_config({}, model=model))

        def timm_batched():
            rows = []
            with torch.inference_mode():
                for i in range(0, len(paths), 32):
                    x = torch.stack([transform(Image.open(p).convert("RGB")) for p in paths[i:i + 32]])
                    rows.append(model(x).numpy())
            return np.concatenate(rows)

        def original():
            batch = [transform(Image.open(p).convert("RGB")).unsqueeze(0) for p in paths]
            return np.array([model(x).squeeze(0).detach().numpy() for x in batch])

        for threads in args.threads:
            torch.set_num_threads(threads)
            ours = TimmEncoder(str(folder), num_threads=threads)
            ours.transform(paths[:1])  # loaded outside the timing, as timm's model is
            t_ours, rows_ours = best_of(args.repeats, lambda: ours.transform(paths))
            t_timm, rows_timm = best_of(args.repeats, timm_batched)
            line = (f"{arch} | {threads} | {t_ours:.3f} | {t_timm:.3f} | {t_timm / t_ours:.2f}x | "
                    f"{min_cosine(rows_ours, rows_timm):.6f}")
            if args.original:
                t_orig, _ = best_of(args.repeats, original)
                line += f" | {t_orig:.3f} | {t_orig / t_ours:.2f}x"
            print(line)
            sys.stdout.flush()


if __name__ == "__main__":
    main()
