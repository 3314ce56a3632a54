#!/usr/bin/env bash
# Sets up (Debian packages, .venv), builds, then runs every test: the C++
# suites under CTest (every kernel at every instruction-set level this CPU
# runs), the NEON kernels cross-built for AArch64 under qemu, and the Python
# suites under pytest.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j 2 --timeout 1500)
if [ "$(uname -m)" = x86_64 ]; then bash scripts/test_arm.sh; fi
if [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python -m pytest -q tests/python
fi
