"""Run by scripts/test_wheel.sh with the Python of a fresh virtual environment
into which only the repaired wheel was installed (and, the same way, with the
project's .venv and the in-tree package, for comparison).

argv: the shared fixtures folder, an output folder. Checks, in this Python:
- the package imports from this environment's site-packages, not the source tree;
- SentenceEncoder on the tiny fixtures equals sentence-transformers' goldens
  (1e-4 absolute, cosine >= 0.99999: the suite's tolerance);
- FeedForwardTuner fits and transforms (finite, the hidden layer's width);
- the `embetter` console script next to this Python encodes the same texts as
  SentenceEncoder, bit for bit.
Writes results.npz (the rows, for the in-tree comparison) and timings.json.
"""
import json
import os
import subprocess
import sys
import time
from pathlib import Path

t0 = time.perf_counter()
import embetter  # noqa: E402

t_import = time.perf_counter() - t0
t0 = time.perf_counter()
import numpy as np  # noqa: E402
import sklearn.base  # noqa: E402,F401

t_import_deps = time.perf_counter() - t0
t0 = time.perf_counter()
from embetter.finetune import FeedForwardTuner  # noqa: E402
from embetter.text import SentenceEncoder  # noqa: E402

t_import_encoders = time.perf_counter() - t0

shared, out = Path(sys.argv[1]), Path(sys.argv[2])
out.mkdir(parents=True, exist_ok=True)
installed = "--installed" in sys.argv
package = Path(embetter.__file__).resolve().parent
if installed:
    prefix = Path(sys.prefix).resolve()
    assert prefix in package.parents, f"embetter was imported from {package}, not from {prefix}"
    assert not os.environ.get("PYTHONPATH") and not os.environ.get("LD_LIBRARY_PATH"), "the environment is not clean"

results = {}
for name in ["tiny-bert", "tiny-roberta", "tiny-mpnet"]:
    folder = shared / "fixtures" / "sbert" / name
    rows = [json.loads(line) for line in (folder / "golden.jsonl").read_text().splitlines()]
    texts = [r["text"] for r in rows]
    expected = np.array([r["embedding"] for r in rows], dtype=np.float32)
    got = SentenceEncoder(str(folder)).transform(texts)
    assert got.shape == expected.shape and got.dtype == np.float32, (name, got.shape, got.dtype)
    assert np.abs(got - expected).max() <= 1e-4, (name, float(np.abs(got - expected).max()))
    cos = (got * expected).sum(1) / (np.linalg.norm(got, axis=1) * np.linalg.norm(expected, axis=1) + 1e-12)
    assert cos[np.linalg.norm(expected, axis=1) > 0].min() >= 0.99999, name
    results[name] = got

# FeedForwardTuner on the tiny-bert rows, labelled by the sign of the first
# coordinate (two classes), seeded: the in-tree run gives the same numbers.
X = results["tiny-bert"]
y = np.where(X[:, 0] > np.median(X[:, 0]), "pos", "neg")
tuned = FeedForwardTuner(hidden_dim=10, n_epochs=20, random_state=42).fit(X, y).transform(X)
assert tuned.shape == (len(X), 10) and np.isfinite(tuned).all(), tuned.shape
results["tuned"] = tuned

# The command line: the console script of this environment, or the in-tree build's program.
folder = shared / "fixtures" / "sbert" / "tiny-bert"
texts_file = out / "texts.txt"
# One text per line: whitespace runs (newlines among them) become one space.
lines = [" ".join(r["text"].split()) for r in map(json.loads, (folder / "golden.jsonl").read_text().splitlines())]
lines = [line for line in lines if line]
texts_file.write_text("\n".join(lines) + "\n", encoding="utf-8")
program = os.environ.get("EMBETTER_PROGRAM") or str(Path(sys.executable).parent / "embetter")
subprocess.run([program, "--quiet", "encode", "--model", str(folder), "--in", str(texts_file), "--out", str(out / "cli.npy")],
               check=True)
cli_rows = np.load(out / "cli.npy")
direct = SentenceEncoder(str(folder)).transform(lines)
assert np.array_equal(cli_rows, direct), float(np.abs(cli_rows - direct).max())
results["cli"] = cli_rows

np.savez(out / "results.npz", **results)
(out / "timings.json").write_text(json.dumps(
    {"import_embetter_s": t_import, "import_numpy_sklearn_s": t_import_deps, "import_encoders_s": t_import_encoders}))
print(f"check_installed: ok ({'installed wheel' if installed else 'in-tree'}: {package}); "
      f"import embetter {t_import:.3f} s; then numpy and scikit-learn {t_import_deps:.3f} s; "
      f"then SentenceEncoder and FeedForwardTuner (the C++ core) {t_import_encoders:.3f} s")
