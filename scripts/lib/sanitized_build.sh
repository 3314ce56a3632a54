# Sourced by scripts/fuzz.sh and scripts/test_sanitizers.sh: configures a
# clang build folder whose every target is instrumented.
#
#   configure_sanitized FOLDER SANITIZERS [cmake options...]
#
# -O1 with line tables: the sanitizers' usual setting (fast enough to run the
# suites, stack traces with file:line), and it compiles in about half the time
# of -O3. Asserts stay on (no NDEBUG): an internal invariant that fails is a
# finding too.
configure_sanitized() {
  local folder=$1 sanitizers=$2
  shift 2
  CXX=clang++ cmake -S . -B "$folder" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    -DCMAKE_CXX_FLAGS_RELEASE="-O1 -gline-tables-only" -DEMB_BUILD_BENCH=OFF \
    -DEMB_SANITIZE="$sanitizers" "$@" >/dev/null
}
