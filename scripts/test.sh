#!/usr/bin/env bash
# Sets up (Debian packages, .venv), builds, then runs every test: the C++
# suites under CTest (every kernel at every instruction-set level this CPU
# runs), the NEON kernels cross-built for AArch64 under qemu, the Python
# suites under pytest, then the C++ suites again under AddressSanitizer +
# UndefinedBehaviorSanitizer and ThreadSanitizer with a short run of every
# fuzz target (scripts/test_sanitizers.sh ci; SANITIZERS=0 leaves them out).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j 2 --timeout 1500)
if [ "$(uname -m)" = x86_64 ]; then bash scripts/test_arm.sh; fi
if [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  # Two runs: each folder's helpers are imported as `conftest`, so one run would
  # give tests/python the browser folder's module of that name.
  PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python -m pytest -q tests/python
  PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python -m pytest -q tests/browser
fi
if [ "${SANITIZERS:-1}" != 0 ]; then
  BUILD_DIR="${BUILD_DIR:-build}" bash scripts/test_sanitizers.sh ci
fi
