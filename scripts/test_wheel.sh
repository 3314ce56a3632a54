#!/usr/bin/env bash
# The wheel a user installs (issue 16), built by scripts/wheel.sh (`pip
# wheel`, then `auditwheel repair`), must carry a manylinux tag; a fresh
# virtual environment gets it with `pip install` alone (numpy, scikit-learn,
# diskcache come from PyPI). There, with no
# LD_LIBRARY_PATH and no PYTHONPATH, from a folder outside the source tree,
# tests/wheel/check_installed.py checks SentenceEncoder against the goldens,
# FeedForwardTuner, and the `embetter` command; its rows must equal the
# in-tree build's bit for bit. Prints the wheel's size, the install time and
# the import time. After scripts/setup.sh and scripts/build.sh: with ccache,
# the wheel's build reuses build/'s objects.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
SHARED=${EMBETTER_SHARED:-$ROOT/../shared}
OUT=$ROOT/build-wheel/check
rm -rf "$OUT"
mkdir -p "$OUT"
say() { echo "[test_wheel.sh] $*"; }

wheel=$(bash scripts/wheel.sh | tail -1)
.venv/bin/auditwheel show "$wheel" | tee "$OUT/show.log"
grep -q "manylinux_" "$OUT/show.log" || { echo "auditwheel gave no manylinux tag" >&2; exit 1; }
say "wheel: $(basename "$wheel"), $(du -m "$wheel" | cut -f1) MB ($(stat -c %s "$wheel") bytes)"

# A fresh environment: Debian's Python, nothing but what the wheel asks for.
python3 -m venv "$OUT/venv"
start=$EPOCHREALTIME
"$OUT/venv/bin/python" -m pip install -q --disable-pip-version-check "$wheel" 2> >(grep -v "^WARNING: Location" >&2)
say "pip install (with numpy, scikit-learn, diskcache): $(awk "BEGIN{printf \"%.1f\", $EPOCHREALTIME - $start}") s"

# In-tree first (the reference rows), then the installed wheel in a clean environment.
EMBETTER_PROGRAM="$ROOT/${BUILD_DIR:-build}/cli/embetter" PYTHONPATH="$ROOT/python" \
  .venv/bin/python tests/wheel/check_installed.py "$SHARED" "$OUT/in-tree"
work=$(mktemp -d)
(cd "$work" && env -u LD_LIBRARY_PATH -u PYTHONPATH -u PYTHONHOME -u EMBETTER_PROGRAM \
  "$OUT/venv/bin/python" "$ROOT/tests/wheel/check_installed.py" "$SHARED" "$OUT/installed" --installed)
rm -rf "$work"
.venv/bin/python - "$OUT" <<'PY'
import sys, numpy as np
out = sys.argv[1]
a, b = np.load(f"{out}/in-tree/results.npz"), np.load(f"{out}/installed/results.npz")
assert sorted(a.files) == sorted(b.files)
for k in a.files:
    assert np.array_equal(a[k], b[k]), f"{k}: the wheel's rows differ from the in-tree build's"
print(f"[test_wheel.sh] the wheel's rows equal the in-tree build's ({', '.join(sorted(a.files))})")
PY
