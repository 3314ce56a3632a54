#!/usr/bin/env bash
# Configures and builds the C++ library, the CLI, the tests, the benchmarks
# and the Python extension (in-tree, next to python/embetter) into build/;
# with arguments, only those CMake targets (scripts/demo.sh: embetter_cli).
#   bash scripts/build.sh [TARGET...]
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
PY=.venv/bin/python
# ccache, with paths taken relative to the repository, lets every build folder
# at this depth (build/, build-wheel/, a helper's build-x/) reuse the objects
# of the others: the wheel's build compiles almost nothing new.
launcher=()
if command -v ccache >/dev/null; then
  export CCACHE_BASEDIR="$PWD" CCACHE_NOHASHDIR=1
  launcher=(-DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
fi
cmake -S . -B "$BUILD_DIR" -G Ninja -DCMAKE_BUILD_TYPE=Release "${launcher[@]}" \
  -DEMB_BUILD_PYTHON=ON -DPython_EXECUTABLE="$PWD/$PY" -Dpybind11_DIR="$("$PY" -m pybind11 --cmakedir)" >/dev/null
targets=()
(($#)) && targets=(--target "$@")
cmake --build "$BUILD_DIR" -j "$(nproc)" "${targets[@]}"
