#!/usr/bin/env python3
"""LiteTextEncoder fit: ours against scikit-learn's TfidfVectorizer + TruncatedSVD, same texts, same run.

Workload (issue 5, item 5): the 5,000 IMDB reviews, 300 components, default
TF-IDF options. The scikit-learn side does what the original embetter's
learn_lite_text_embeddings does: TfidfVectorizer().fit(texts), .transform(texts),
TruncatedSVD(300).fit(X) (randomized, 5 power iterations). Each side runs in its
own process with its BLAS limited to the same thread count (OPENBLAS/OMP/MKL
variables and threadpoolctl on the scikit-learn side, emb::set_num_threads on
ours). scikit-learn's whole fit is the sum of its two stages in the same
repeat; ours is LiteTextEncoder::fit timed on its own (it skips the projection
of the training texts that TruncatedSVD.fit makes, so it costs less than our
two stages added up). Besides the timings, the summed explained-variance ratio of the 300
components is printed for both: equal to a few decimals when the two SVDs
found the same subspace.

    .venv/bin/python bench/lite_vs_sklearn.py [--threads 1 2] [--repeats 3] [--build build]

Prints a Markdown table (best wall and CPU seconds of each, their ratios, threads,
load average; the machine is shared: compare ratios across runs, and prefer the
CPU-second ratio when the load average is above the core count).
"""
import argparse
import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DEFAULT_TEXTS = REPO.parent / "shared/data/imdb-5000.jsonl"

SKLEARN = textwrap.dedent(
    """
    import json, sys, time
    import numpy as np, sklearn
    from threadpoolctl import threadpool_limits
    from sklearn.decomposition import TruncatedSVD
    from sklearn.feature_extraction.text import TfidfVectorizer
    texts_file, field, dim, threads, repeats, seed = sys.argv[1:7]
    texts = [json.loads(line)[field] for line in open(texts_file, encoding="utf-8") if line.strip()]

    wall, cpu = {"tfidf": [], "svd": []}, {"tfidf": [], "svd": []}
    with threadpool_limits(int(threads)):
        for _ in range(int(repeats)):
            # As learn_lite_text_embeddings: fit the vectorizer, transform, fit the SVD.
            w0, c0 = time.perf_counter(), time.process_time()
            X = TfidfVectorizer().fit(texts).transform(texts)
            w1, c1 = time.perf_counter(), time.process_time()
            fitted = TruncatedSVD(n_components=int(dim), random_state=int(seed)).fit(X)
            w2, c2 = time.perf_counter(), time.process_time()
            wall["tfidf"].append(w1 - w0); cpu["tfidf"].append(c1 - c0)
            wall["svd"].append(w2 - w1); cpu["svd"].append(c2 - c1)
    whole = [a + b for a, b in zip(wall["tfidf"], wall["svd"])]
    whole_cpu = [a + b for a, b in zip(cpu["tfidf"], cpu["svd"])]
    fit_s, fit_cpu = min(whole), min(whole_cpu)
    tfidf_s, tfidf_cpu, svd_s, svd_cpu = min(wall["tfidf"]), min(cpu["tfidf"]), min(wall["svd"]), min(cpu["svd"])
    print(json.dumps({"fit_s": fit_s, "fit_cpu_s": fit_cpu, "tfidf_s": tfidf_s, "tfidf_cpu_s": tfidf_cpu,
                      "svd_s": svd_s, "svd_cpu_s": svd_cpu, "features": X.shape[1], "nnz": int(X.nnz),
                      "explained_variance": float(fitted.explained_variance_ratio_.sum()),
                      "version": sklearn.__version__}))
    """
)


def load_average():
    return " ".join(f"{v:.2f}" for v in os.getloadavg())


def thread_env(threads):
    env = dict(os.environ)
    for var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        env[var] = str(threads)
    return env


def run_json(cmd, env, what):
    res = subprocess.run(cmd, env=env, capture_output=True, text=True)
    if res.returncode != 0:
        sys.exit(f"{what} failed:\n{res.stderr}")
    return json.loads(res.stdout.strip().splitlines()[-1])


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--threads", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--repeats", type=int, default=3)
    ap.add_argument("--dim", type=int, default=300)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--texts", type=Path, default=DEFAULT_TEXTS)
    ap.add_argument("--field", default="text")
    ap.add_argument("--build", type=Path, default=REPO / "build")
    args = ap.parse_args()

    exe = args.build / "bench" / "lite_fit_bench"
    if not exe.exists():
        sys.exit(f"{exe} not found: build it first (cmake --build {args.build} --target lite_fit_bench)")
    if not args.texts.exists():
        sys.exit(f"{args.texts} not found")

    rows = []
    for threads in args.threads:
        load_before = load_average()
        ours = run_json([str(exe), str(args.texts), "--field", args.field, "--dim", str(args.dim), "--threads",
                         str(threads), "--repeats", str(args.repeats), "--seed", str(args.seed)],
                        thread_env(threads), str(exe))
        ref = run_json([sys.executable, "-c", SKLEARN, str(args.texts), args.field, str(args.dim), str(threads),
                        str(args.repeats), str(args.seed)], thread_env(threads), "the scikit-learn run")
        if (ours["features"], ours["nnz"]) != (ref["features"], ref["nnz"]):
            sys.exit(f"the TF-IDF matrices differ in shape: ours {ours['features']} features / {ours['nnz']} "
                     f"stored values, scikit-learn's {ref['features']} / {ref['nnz']}")
        rows.append((threads, ours, ref, f"{load_before} → {load_average()}"))

    first = rows[0][1]
    print(f"LiteTextEncoder fit on {first['texts']} texts of {args.texts.name} ({first['features']:,} terms, "
          f"{first['nnz']:,} stored tf-idf values), {args.dim} components; scikit-learn {rows[0][2]['version']} "
          f"TfidfVectorizer + TruncatedSVD (randomized, 5 power iterations); best of {args.repeats}, wall seconds "
          f"(CPU seconds in brackets).\n")
    print("| threads | stage | ours s (CPU s) | scikit-learn s (CPU s) | scikit-learn / ours | same, CPU seconds "
          "| load avg (before → after) |")
    print("|---:|---|---:|---:|---:|---:|---|")
    for threads, ours, ref, load in rows:
        for key, stage in (("fit", "whole fit"), ("tfidf", "TF-IDF"), ("svd", "TruncatedSVD(300)")):
            print(f"| {threads} | {stage} | {ours[key + '_s']:.3f} ({ours[key + '_cpu_s']:.2f}) "
                  f"| {ref[key + '_s']:.3f} ({ref[key + '_cpu_s']:.2f}) | {ref[key + '_s'] / ours[key + '_s']:.1f}× "
                  f"| {ref[key + '_cpu_s'] / ours[key + '_cpu_s']:.1f}× | {load} |")
    print("\nSummed explained-variance ratio of the components: "
          + ", ".join(f"{t} thread{'s' if t > 1 else ''}: ours {o['explained_variance']:.4f}, "
                      f"scikit-learn {r['explained_variance']:.4f}" for t, o, r, _ in rows))
    print(f"\n`uptime`: {subprocess.run(['uptime'], capture_output=True, text=True).stdout.strip()}")


if __name__ == "__main__":
    main()
