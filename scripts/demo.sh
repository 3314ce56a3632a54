#!/usr/bin/env bash
# Sets up, builds the command line (not the tests or benchmarks: scripts/test.sh
# builds those), then runs the seed's experiment: `embetter demo` writes
# its charts and report into embetter-demo/. Extra arguments go to `embetter demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
bash scripts/build.sh embetter_cli
exec "${BUILD_DIR:-build}"/cli/embetter demo --out embetter-demo "$@"
