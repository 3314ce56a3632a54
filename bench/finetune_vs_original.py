#!/usr/bin/env python3
"""FeedForwardTuner.fit, ours against the original embetter, on the same data in the same run.

Workload (issue 2, item 10): 500 epochs, 200×384 standard-normal inputs, 2 classes,
hidden_dim 200, batch 32, learning rate 0.01. The original runs in a subprocess with
PYTHONPATH pointing at the reference checkout (its import name is ours too) and
torch limited to the same number of threads as ours.

    .venv/bin/python bench/finetune_vs_original.py [--threads 1] [--repeats 3] [--build build] [--isa avx2]

--isa runs ours at that instruction-set level (EMB_ISA); the original's torch
runs at the CPU's own.

Prints both timings, the ratio, our GFLOP/s and the fp32 GEMM peak measured by
our executable in the same run, plus the machine's load average (the machine is
shared: compare the ratio, not the absolute numbers, across runs).
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
REFERENCE = Path(os.environ.get("EMBETTER_REFERENCE", REPO / ".venv" / "reference-embetter"))

ORIGINAL = textwrap.dedent(
    """
    import json, sys, time, warnings
    import numpy as np, torch
    warnings.filterwarnings("ignore")
    threads, repeats, epochs, hidden, batch, data, labels = sys.argv[1:8]
    torch.set_num_threads(int(threads))
    torch.manual_seed(0)
    from embetter.finetune import FeedForwardTuner
    X = np.load(data)
    y = np.array(open(labels).read().split())
    times, cpu = [], []
    for _ in range(int(repeats)):
        tuner = FeedForwardTuner(hidden_dim=int(hidden), n_epochs=int(epochs), learning_rate=0.01,
                                 batch_size=int(batch))
        t0, c0 = time.perf_counter(), time.process_time()
        tuner.fit(X, y)
        times.append(time.perf_counter() - t0)
        cpu.append(time.process_time() - c0)
    print(json.dumps({"best_s": min(times), "median_s": sorted(times)[len(times) // 2], "best_cpu_s": min(cpu),
                      "torch": torch.__version__, "torch_threads": torch.get_num_threads()}))
    """
)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, default=1)
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--epochs", type=int, default=500)
    ap.add_argument("--rows", type=int, default=200)
    ap.add_argument("--cols", type=int, default=384)
    ap.add_argument("--hidden", type=int, default=200)
    ap.add_argument("--batch", type=int, default=32)
    ap.add_argument("--build", type=Path, default=REPO / "build")
    ap.add_argument("--isa", choices=["generic", "avx2", "avx512", "avx512_vnni", "neon"],
                    help="run ours at this level (EMB_ISA); the original runs at the CPU's own")
    args = ap.parse_args()

    exe = args.build / "bench" / "finetune_bench"
    if not exe.exists():
        sys.exit(f"{exe} not found: build it first (cmake --build {args.build} --target finetune_bench)")
    if not (REFERENCE / "embetter").is_dir():
        sys.exit(f"{REFERENCE}: the original embetter is not there (set EMBETTER_REFERENCE)")

    rng = np.random.default_rng(0)
    X = rng.standard_normal((args.rows, args.cols)).astype(np.float32)
    y = np.where(X[:, 0] > 0, "pos", "neg")

    with tempfile.TemporaryDirectory() as tmp:
        data, raw, labels = Path(tmp) / "X.npy", Path(tmp) / "X.f32", Path(tmp) / "y.txt"
        np.save(data, X)
        X.tofile(raw)
        labels.write_text("\n".join(y) + "\n")

        env = dict(os.environ, PYTHONPATH=str(REFERENCE), OMP_NUM_THREADS=str(args.threads),
                   MKL_NUM_THREADS=str(args.threads))
        env.pop("EMB_ISA", None)
        ours_env = dict(os.environ, OPENBLAS_NUM_THREADS=str(args.threads))
        if args.isa:
            ours_env["EMB_ISA"] = args.isa
        shape = [str(args.epochs), str(args.hidden), str(args.batch)]
        load_before = os.getloadavg()
        original = json.loads(subprocess.run(
            [sys.executable, "-c", ORIGINAL, str(args.threads), str(args.repeats), *shape, str(data), str(labels)],
            env=env, check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        ours = json.loads(subprocess.run(
            [str(exe), "--json", "--threads", str(args.threads), "--repeats", str(args.repeats),
             "--epochs", str(args.epochs), "--hidden", str(args.hidden), "--batch", str(args.batch),
             "--rows", str(args.rows), "--cols", str(args.cols), "--data", str(raw), "--labels", str(labels)],
            env=ours_env,
            check=True, capture_output=True, text=True).stdout.strip().splitlines()[-1])
        load_after = os.getloadavg()

    print(f"FeedForwardTuner.fit: {args.rows}×{args.cols}, 2 classes, hidden {args.hidden}, batch {args.batch}, "
          f"{args.epochs} epochs, {args.threads} thread(s), best of {args.repeats}")
    print(f"  load average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} CPUs")
    print(f"  original (torch {original['torch']}): best {original['best_s']:.3f} s wall, "
          f"{original['best_cpu_s']:.3f} s CPU")
    print(f"  ours (kernels at {ours['isa']}):   best {ours['best_s']:.3f} s wall, {ours['best_cpu_s']:.3f} s CPU")
    print(f"  speed-up: {original['best_s'] / ours['best_s']:.1f}× (wall), "
          f"{original['best_cpu_s'] / ours['best_cpu_s']:.1f}× (CPU time)")
    gflop = ours["nominal_gflop"]
    print(f"  ours: {gflop:.1f} GFLOP (issue's count) → {gflop / ours['best_s']:.1f} GFLOP/s wall, "
          f"{gflop / ours['best_cpu_s']:.1f} GFLOP/s per CPU second; "
          f"computed {ours['computed_gflop']:.1f} GFLOP → {ours['computed_gflop'] / ours['best_s']:.1f} GFLOP/s")
    print(f"  fp32 GEMM peak measured in this run: {ours['gemm_peak_gflops']:.1f} GFLOP/s")


if __name__ == "__main__":
    main()
