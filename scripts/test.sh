#!/usr/bin/env bash
# Sets up (Debian packages, .venv), builds, then runs every test: the C++
# suites under CTest (every kernel at every instruction-set level this CPU
# runs), the NEON kernels cross-built for AArch64 under qemu, the Python
# suites under pytest, the wheel (scripts/test_wheel.sh), then the C++ suites again under AddressSanitizer +
# UndefinedBehaviorSanitizer and ThreadSanitizer with a short run of every
# fuzz target (scripts/test_sanitizers.sh ci; SANITIZERS=0 leaves them out).
set -euo pipefail
cd "$(dirname "$0")/.."
# Where the run's time goes (CI must finish within 30 minutes on two cores).
stage() { echo "[test.sh] $1 at ${SECONDS} s"; }
bash scripts/setup.sh
stage "setup done"
bash scripts/build.sh
stage "build done"
(cd "${BUILD_DIR:-build}" && ctest --output-on-failure -j 2 --timeout 1500)
stage "ctest done"
if [ "${SANITIZERS:-1}" != 0 ]; then
  # The sanitizer builds (clang, about twenty minutes of one core) start now,
  # at low priority and one job, on the core the AArch64 and Python suites
  # mostly leave idle. setsid gives them a process group of their own, which
  # the sanitizer stage (or an early exit) stops.
  sanitizer_log="$PWD/${BUILD_DIR:-build}/sanitizer-build.log"
  BUILD_DIR="${BUILD_DIR:-build}" setsid nice -n 10 bash scripts/test_sanitizers.sh ci-build >"$sanitizer_log" 2>&1 &
  sanitizer_build=$!
  trap 'kill -- -"$sanitizer_build" 2>/dev/null || true' EXIT
fi
if [ "$(uname -m)" = x86_64 ]; then bash scripts/test_arm.sh; fi
stage "AArch64 suite done"
if [ -d tests/python ] && ls tests/python/test_*.py >/dev/null 2>&1; then
  # Two runs: each folder's helpers are imported as `conftest`, so one run would
  # give tests/python the browser folder's module of that name.
  PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python -m pytest -q --durations=15 tests/python
  PYTHONPATH="$PWD/python${PYTHONPATH:+:$PYTHONPATH}" .venv/bin/python -m pytest -q tests/browser
  stage "pytest done"
fi
# The manylinux wheel, installed into a fresh virtual environment and run there.
bash scripts/test_wheel.sh
stage "wheel done"
if [ "${SANITIZERS:-1}" != 0 ]; then
  # What the background builds have not finished, the stage builds on both
  # cores: stop them (ninja keeps every object it completed) and go on. A
  # compile error shows again there.
  kill -- -"$sanitizer_build" 2>/dev/null || true
  wait "$sanitizer_build" 2>/dev/null || true
  trap - EXIT
  BUILD_DIR="${BUILD_DIR:-build}" bash scripts/test_sanitizers.sh ci
  stage "sanitizers done"
fi
