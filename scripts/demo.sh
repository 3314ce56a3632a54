#!/usr/bin/env bash
# Sets up, builds the command line (not the tests or benchmarks: scripts/test.sh
# builds those), then runs the seed's experiment: `embetter demo` writes
# its charts and report into embetter-demo/. Extra arguments go to `embetter demo`.
set -euo pipefail
cd "$(dirname "$0")/.."
# Where the time goes (README reports it for a fresh machine).
stage() { echo "[demo.sh] $1 at ${SECONDS} s" >&2; }
bash scripts/setup.sh
stage "setup done"
bash scripts/build.sh embetter_cli
stage "command line built"
"${BUILD_DIR:-build}"/cli/embetter demo --out embetter-demo "$@"
stage "demo done"
