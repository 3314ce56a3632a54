#!/usr/bin/env python3
"""ClipEncoder against sentence-transformers' CLIP (torch, CPU), same model, same inputs, same run.

Model: a CLIP of ViT-B/32's shape (transformers' CLIPConfig defaults: text
512 wide, 12 layers, 77 positions; vision 768 wide, 12 layers, 224 pixels in
32-pixel patches; projection 512) with random weights, since no real
checkpoint is reachable offline; its tokenizer is the small CLIP vocabulary
of tests/oracles/clip_vocabulary.py (so a caption takes more tokens than with
CLIP's 49,408: the token counts are printed, and both sides see the same).
Written once into --work as a plain transformers folder.

Workloads:
- images: --images JPEG files (seeded, 320-640 pixels a side, quality 90),
  from the file to the embedding: ours decodes, preprocesses and encodes in
  C++ (ClipEncoder.transform of pathlib paths); sentence-transformers gets
  Image.open(path) objects, and Pillow decodes inside its CLIPProcessor;
- texts: --texts captions of 5-15 words.
Each side runs at each --threads count (torch.set_num_threads; ours
num_threads), --repeats times, best wall time. The rows are checked against
each other (cosine), and our int8 mode (quantize=True) is timed and checked
against our fp32 (the issue's gate: cosine >= 0.999 per image).

    PYTHONPATH=python .venv/bin/python bench/clip_vs_sentence_transformers.py [--images 64] [--texts 256]

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
sys.path.insert(0, str(ROOT / "tests" / "oracles"))

from clip_vocabulary import clip_vocab_and_merges  # noqa: E402

WORDS = ("a photo of the cat dog sea boat house red green small large two people street city night sunset "
         "mountain river tree car bike table chair window light dark old new").split()


def cpu_model():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def write_model(folder: Path):
    from transformers import CLIPConfig, CLIPImageProcessor, CLIPModel, CLIPProcessor, CLIPTokenizer

    if (folder / "model.safetensors").exists():
        return
    vocab, merges = clip_vocab_and_merges()
    tokenizer = CLIPTokenizer(vocab=vocab, merges=merges)
    eos = vocab["<|endoftext|>"]
    config = CLIPConfig(text_config=dict(vocab_size=len(tokenizer), bos_token_id=vocab["<|startoftext|>"],
                                         eos_token_id=eos, pad_token_id=eos))
    torch.manual_seed(0)
    model = CLIPModel(config).eval()
    model.save_pretrained(folder)
    CLIPProcessor(image_processor=CLIPImageProcessor(), tokenizer=tokenizer).save_pretrained(folder)


def write_images(folder: Path, n: int):
    rng = np.random.default_rng(5)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for i in range(n):
        w, h = (int(v) for v in rng.integers(320, 641, size=2))
        yy, xx = np.mgrid[0:h, 0:w]
        a = np.dstack([(xx * 255 // (w - 1)), (yy * 255 // (h - 1)), (xx + yy) % 256]).astype(np.int32)
        a = np.clip(a + rng.integers(-20, 21, size=a.shape), 0, 255).astype(np.uint8)
        path = folder / f"image{i:03d}.jpg"
        Image.fromarray(a, "RGB").save(path, quality=90)
        paths.append(path)
    return paths


def best_of(repeats, fn):
    best, out = float("inf"), None
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def min_cosine(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    return float(((a * b).sum(1) / np.linalg.norm(a, axis=1) / np.linalg.norm(b, axis=1)).min())


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=64)
    parser.add_argument("--texts", type=int, default=256)
    parser.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--work", default=str(ROOT / "build" / "bench-clip"))
    args = parser.parse_args()

    from sentence_transformers import SentenceTransformer

    from embetter import _core
    from embetter.multi import ClipEncoder

    work = Path(args.work)
    model_dir = work / "clip-vit-b-32-random"
    write_model(model_dir)
    paths = write_images(work / "images", args.images)
    rng = np.random.default_rng(9)
    texts = [" ".join(rng.choice(WORDS, size=int(rng.integers(5, 16)))) for _ in range(args.texts)]

    st = SentenceTransformer(str(model_dir), device="cpu")
    tokens = np.mean([len(st.tokenizer(t)["input_ids"]) for t in texts])
    print(f"CPU: {cpu_model()}; our kernels: {_core.kernel_isa()}; load average {os.getloadavg()[0]:.2f}")
    print(f"{args.images} JPEG images 320-640 px; {args.texts} texts, {tokens:.1f} tokens each on average")
    print("threads | what | ours s | sentence-transformers s | ratio | min cosine")
    for threads in args.threads:
        torch.set_num_threads(threads)
        ours = ClipEncoder(str(model_dir), num_threads=threads)
        int8 = ClipEncoder(str(model_dir), num_threads=threads, quantize=True)
        ours.transform(texts[:2])  # load outside the timing, as sentence-transformers' model is
        int8.transform(texts[:2])
        t_ours, img_ours = best_of(args.repeats, lambda: ours.transform(paths))
        t_st, img_st = best_of(args.repeats, lambda: st.encode([Image.open(p) for p in paths], batch_size=32))
        t_int8, img_int8 = best_of(args.repeats, lambda: int8.transform(paths))
        print(f"{threads} | images fp32 | {t_ours:.2f} | {t_st:.2f} | {t_st / t_ours:.2f}x | {min_cosine(img_ours, img_st):.6f}")
        print(f"{threads} | images int8 (vs torch fp32) | {t_int8:.2f} | {t_st:.2f} | {t_st / t_int8:.2f}x | "
              f"{min_cosine(img_int8, img_ours):.5f} to our fp32")
        t_ours, txt_ours = best_of(args.repeats, lambda: ours.transform(texts))
        t_st, txt_st = best_of(args.repeats, lambda: st.encode(texts, batch_size=32))
        print(f"{threads} | texts fp32 | {t_ours:.2f} | {t_st:.2f} | {t_st / t_ours:.2f}x | {min_cosine(txt_ours, txt_st):.6f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main()
