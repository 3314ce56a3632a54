#!/usr/bin/env python3
"""Tuner quality, ours against the original embetter, over seeded splits.

The finetuning guide's protocol, repeated: embed the texts once with
all-MiniLM-L6-v2 (our SentenceEncoder, which matches sentence-transformers
within 1e-6), then for each split take 200 labelled texts, fit the tuner
with hidden_dim 200 and 10, and measure in each tuned space
  - accuracy: LogisticRegression(max_iter=1000) fit on the 200, scored on the test rows;
  - silhouette: of the labels in a 2-D PCA of the tuned test rows (what the charts show).
Both tuners see the same embeddings and splits in the same run; the original
runs in a subprocess (its import name is ours too) with PYTHONPATH at the
reference checkout. Both use --threads threads (default 2); fit time is the
wall time of fit() alone, best and median over the splits.

Tuners (--tuners):
  feedforward  FeedForwardTuner(n_epochs=500, learning_rate=0.01, batch_size=32), the guide's
  contrastive  ContrastiveTuner(n_neg=3, epochs=20, learning_rate=0.001), the original's defaults

Data sets (from the shared folder):
  imdb     imdb-5000.jsonl, label pos/neg; 200 train, the next 2,000 test
  new      new-dataset.jsonl, label cats["new-dataset"] (13% positive); 200 train, the other 2,010 test

    .venv/bin/python bench/finetune_quality.py [--splits 10] [--data imdb new] [--threads 2]
        [--tuners feedforward contrastive] [--objectives sigmoid_ce softmax_ce] [--json out.json]

Embeddings are cached in build/bench-cache/ (keyed by a hash of the texts).
"""
import argparse
import hashlib
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO / "python"))
REFERENCE = Path(os.environ.get("EMBETTER_REFERENCE", REPO / ".venv" / "reference-embetter"))
SHARED = Path(os.environ.get("EMBETTER_SHARED", REPO.parent / "shared"))
CACHE = REPO / "build" / "bench-cache"
TRAIN_ROWS = 200
# Each tuner's parameters besides hidden_dim, the same for ours and the original's.
TUNER_PARAMS = {
    "feedforward": {"n_epochs": 500, "learning_rate": 0.01, "batch_size": 32},
    "contrastive": {"n_neg": 3, "epochs": 20, "learning_rate": 0.001},
}
CLASS_NAMES = {"feedforward": "FeedForwardTuner", "contrastive": "ContrastiveTuner"}

# Fits the original's FeedForwardTuner on every (split, hidden) job of a .npz
# and writes the tuned train and test rows and the fit times to another.
ORIGINAL = textwrap.dedent(
    """
    import json, random, sys, time, warnings
    import numpy as np, torch
    warnings.filterwarnings("ignore")
    import embetter.finetune
    jobs, out_path, class_name, params, threads = sys.argv[1:4] + [json.loads(sys.argv[4]), int(sys.argv[5])]
    torch.set_num_threads(threads)
    data = np.load(jobs)
    X, y, hiddens = data["X"], data["y"], data["hiddens"]
    out = {}
    seed_offset = int(sys.argv[6])
    for s, (train, test) in enumerate(zip(data["train_rows"], data["test_rows"])):
        for hidden in hiddens:
            torch.manual_seed(seed_offset + s)
            random.seed(seed_offset + s)  # ContrastiveTuner draws its pairs with random
            tuner = getattr(embetter.finetune, class_name)(hidden_dim=int(hidden), **params)
            t0 = time.perf_counter()
            tuner.fit(X[train], y[train])
            out[f"time_{s}_{hidden}"] = np.array(time.perf_counter() - t0)
            out[f"train_{s}_{hidden}"] = tuner.transform(X[train])
            out[f"test_{s}_{hidden}"] = tuner.transform(X[test])
    np.savez(out_path, **out)
    """
)


def load_data(name):
    if name == "imdb":
        frame = pd.read_json(SHARED / "data" / "imdb-5000.jsonl", lines=True)
        return frame["text"].tolist(), frame["label"].to_numpy(dtype=str), 2000
    if name == "new":
        frame = pd.read_json(SHARED / "data" / "new-dataset.jsonl", lines=True)
        labels = frame["cats"].map(lambda c: "yes" if c.get("new-dataset") == 1 else "no")
        return frame["text"].tolist(), labels.to_numpy(dtype=str), None
    raise SystemExit(f"unknown data set {name!r} (imdb, new)")


def embed(name, texts):
    """all-MiniLM-L6-v2 embeddings of the texts, cached by their hash."""
    digest = hashlib.sha256("\n".join(texts).encode()).hexdigest()[:16]
    path = CACHE / f"{name}-all-MiniLM-L6-v2-{digest}.npy"
    if path.exists():
        return np.load(path)
    from embetter.text import SentenceEncoder

    t0 = time.perf_counter()
    X = SentenceEncoder("all-MiniLM-L6-v2").transform(texts).astype(np.float32)
    print(f"  embedded {len(texts)} texts of {name} in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    CACHE.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp.npy")
    np.save(tmp, X)
    tmp.rename(path)
    return X


def cpu_name():
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return "unknown"


def isa_level():
    from embetter import _core

    return _core.kernel_isa()


def make_splits(n_rows, n_test, n_splits):
    """Per split: (train rows, test rows), from a permutation seeded by the split's number."""
    splits = []
    for seed in range(n_splits):
        order = np.random.default_rng(seed).permutation(n_rows)
        test_end = TRAIN_ROWS + (n_test if n_test else n_rows - TRAIN_ROWS)
        splits.append((order[:TRAIN_ROWS], order[TRAIN_ROWS:test_end]))
    return splits


def scores(A, B, y_train, y_test):
    from sklearn.decomposition import PCA
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import silhouette_score

    accuracy = LogisticRegression(max_iter=1000).fit(A, y_train).score(B, y_test)
    points = PCA(n_components=2, random_state=0).fit_transform(B)
    return accuracy, silhouette_score(points, y_test)


def run_original(tuner, X, y, splits, hiddens, threads, seed_offset=0):
    """The original's tuned rows and fit times, keyed time_/train_/test_{split}_{hidden}."""
    if not (REFERENCE / "embetter").is_dir():
        raise SystemExit(f"{REFERENCE}: the original embetter is not there (set EMBETTER_REFERENCE)")
    with tempfile.TemporaryDirectory() as tmp:
        jobs, out = Path(tmp) / "jobs.npz", Path(tmp) / "out.npz"
        # Every split of a data set has the same sizes, so the rows stack.
        np.savez(jobs, X=X, y=y, hiddens=np.array(hiddens), train_rows=np.stack([tr for tr, _ in splits]),
                 test_rows=np.stack([te for _, te in splits]))
        env = dict(os.environ, PYTHONPATH=str(REFERENCE), OMP_NUM_THREADS=str(threads), MKL_NUM_THREADS=str(threads))
        env.pop("EMB_ISA", None)
        subprocess.run([sys.executable, "-c", ORIGINAL, str(jobs), str(out), CLASS_NAMES[tuner],
                        json.dumps(TUNER_PARAMS[tuner]), str(threads), str(seed_offset)], env=env, check=True)
        with np.load(out) as result:
            return {k: result[k] for k in result.files}


def run_ours(tuner_kind, X, y, splits, hiddens, threads, **extra):
    import embetter.finetune
    from embetter import _core

    _core.set_num_threads(threads)
    out = {}
    for s, (train, test) in enumerate(splits):
        for hidden in hiddens:
            tuner = getattr(embetter.finetune, CLASS_NAMES[tuner_kind])(
                hidden_dim=hidden, random_state=s, **TUNER_PARAMS[tuner_kind], **extra)
            t0 = time.perf_counter()
            tuner.fit(X[train], y[train])
            out[f"time_{s}_{hidden}"] = time.perf_counter() - t0
            out[f"train_{s}_{hidden}"] = tuner.transform(X[train])
            out[f"test_{s}_{hidden}"] = tuner.transform(X[test])
    return out


def summarise(tuned, y, splits, hidden):
    acc, sil, fit = [], [], []
    for s, (train, test) in enumerate(splits):
        a, b = scores(tuned[f"train_{s}_{hidden}"], tuned[f"test_{s}_{hidden}"], y[train], y[test])
        acc.append(a)
        sil.append(b)
        fit.append(float(tuned[f"time_{s}_{hidden}"]))
    return np.array(acc), np.array(sil), np.array(fit)


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--splits", type=int, default=10)
    ap.add_argument("--data", nargs="+", default=["imdb", "new"], choices=["imdb", "new"])
    ap.add_argument("--hidden", type=int, nargs="+", default=[200, 10])
    ap.add_argument("--threads", type=int, default=2, help="threads of each engine (torch's and ours)")
    ap.add_argument("--tuners", nargs="+", default=["feedforward", "contrastive"], choices=list(TUNER_PARAMS))
    ap.add_argument("--objectives", nargs="+", default=["sigmoid_ce", "softmax_ce"],
                    help="our FeedForwardTuner objectives to measure (the original's is sigmoid_ce)")
    ap.add_argument("--json", type=Path, help="also write every split's numbers here")
    ap.add_argument("--noise", action="store_true",
                    help="also run the original a second time with other seeds (torch's and random's + 1000): "
                         "how far two runs of the same tuner differ on these splits")
    args = ap.parse_args()

    load_before = os.getloadavg()
    print(f"Tuner quality: {args.splits} splits, {TRAIN_ROWS} labelled rows, {args.threads} thread(s) per engine, "
          "all-MiniLM-L6-v2 embeddings")
    for tuner in args.tuners:
        print(f"  {CLASS_NAMES[tuner]}: " + ", ".join(f"{k}={v}" for k, v in TUNER_PARAMS[tuner].items()))
    print("accuracy: logistic regression on the tuned space; silhouette: labels in a 2-D PCA of the test rows; "
          "mean ± std over splits\n")
    print("| data | tuner | hidden | accuracy | silhouette | fit (s), best / median |")
    print("|---|---|---:|---:|---:|---:|")
    record = {}
    for name in args.data:
        texts, y, n_test = load_data(name)
        X = embed(name, texts)
        splits = make_splits(len(texts), n_test, args.splits)
        raw = [scores(X[tr], X[te], y[tr], y[te]) for tr, te in splits]
        raw_acc, raw_sil = np.array([r[0] for r in raw]), np.array([r[1] for r in raw])
        print(f"| {name} ({len(splits[0][1])} test) | none (raw embeddings) | – | {raw_acc.mean():.4f} ± "
              f"{raw_acc.std():.4f} | {raw_sil.mean():.3f} ± {raw_sil.std():.3f} | – |")
        record[name] = {"raw": {"accuracy": raw_acc.tolist(), "silhouette": raw_sil.tolist()}}
        tuners = {}
        for kind in args.tuners:
            tuners[f"{kind}, original"] = run_original(kind, X, y, splits, args.hidden, args.threads)
            if args.noise:
                tuners[f"{kind}, original, other seeds"] = run_original(kind, X, y, splits, args.hidden, args.threads,
                                                                        seed_offset=1000)
            if kind == "feedforward":
                for objective in args.objectives:
                    tuners[f"{kind}, ours {objective}"] = run_ours(kind, X, y, splits, args.hidden, args.threads,
                                                                   objective=objective)
            else:
                tuners[f"{kind}, ours"] = run_ours(kind, X, y, splits, args.hidden, args.threads)
        for hidden in args.hidden:
            for label, tuned in tuners.items():
                acc, sil, fit = summarise(tuned, y, splits, hidden)
                record[name][f"{label} h{hidden}"] = {"accuracy": acc.tolist(), "silhouette": sil.tolist(),
                                                     "fit_s": fit.tolist()}
                print(f"| {name} | {label} | {hidden} | {acc.mean():.4f} ± {acc.std():.4f} | "
                      f"{sil.mean():.3f} ± {sil.std():.3f} | {fit.min():.3f} / {np.median(fit):.3f} |")
    load_after = os.getloadavg()
    print(f"\nload average before/after: {load_before[0]:.2f} / {load_after[0]:.2f} on {os.cpu_count()} CPUs; "
          "fit time: best and median over the splits")
    print(f"CPU: {cpu_name()}; our kernels at {isa_level()}")
    if args.json:
        args.json.write_text(json.dumps(record, indent=1))


if __name__ == "__main__":
    main()
