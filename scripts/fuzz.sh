#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz under AddressSanitizer and
# UndefinedBehaviorSanitizer, each for SECONDS (default 60), as many at once
# as there are cores, after scripts/setup.sh (which installs clang).
#
#   bash scripts/fuzz.sh [SECONDS] [TARGET...]     (default: every target)
#
# Each target starts from its committed seeds (tests/fuzz/corpus/TARGET) and
# the inputs earlier runs found (build-asan/fuzz/corpus/TARGET). An input
# that crashes, leaks, trips a sanitizer, hangs (25 s) or lets an exception
# other than emb::Error escape is saved to build-asan/fuzz/crashes/ and the
# script fails; rerun one with build-asan/tests/fuzz/fuzz_TARGET FILE.
# build-asan/fuzz/runs.tsv keeps one line per run (date, target, seconds,
# executions, result), for totals across runs.
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sanitized_build.sh

seconds=${1:-60}
shift || true
BUILD=build-asan
ALL=(safetensors tokenizer_json tokenizer_encode sentence_folder model2vec_folder npy text_files tuner_files
     lite_encoder word2vec image torch_checkpoint)
targets=("$@")
((${#targets[@]})) || targets=("${ALL[@]}")

# scripts/test_sanitizers.sh configures the same folder (with the fuzz targets).
[ -f "$BUILD/CMakeCache.txt" ] || configure_sanitized "$BUILD" address,undefined,fuzzer-no-link -DEMB_BUILD_FUZZ=ON
cmake --build "$BUILD" -j "$(nproc)" --target "${targets[@]/#/fuzz_}"

out="$BUILD/fuzz"
mkdir -p "$out/crashes" "$out/logs"
run_one() {  # target seconds out build
  local t=$1 log="$3/logs/$1.log"
  mkdir -p "$3/corpus/$t"
  local rc=0
  "$4/tests/fuzz/fuzz_$t" -max_total_time="$2" -timeout=25 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$3/crashes/$t-" "$3/corpus/$t" "tests/fuzz/corpus/$t" >"$log" 2>&1 || rc=$?
  local runs
  runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)
  local result=ok
  if [ "$rc" -ne 0 ]; then
    result="FAILED (exit $rc, see $log)"
    tail -n 40 "$log" >&2
  fi
  printf '%s\t%s\t%s\t%s\t%s\n' "$(date -u +%FT%TZ)" "$t" "$2" "${runs:-0}" "$result" | tee -a "$3/runs.tsv"
  [ "$rc" -eq 0 ]
}
export -f run_one
# ASAN_OPTIONS may be set by the caller: malloc_context_size=2 (allocation
# stacks of two frames in reports) runs the folder targets ~25% faster; a saved
# crash reruns with full stacks.
printf '%s\n' "${targets[@]}" |
  ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1} UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
  LSAN_OPTIONS="suppressions=$PWD/tests/sanitizers/lsan.supp:print_suppressions=0" \
  xargs -P "$(nproc)" -I{} bash -c 'run_one "$@"' _ {} "$seconds" "$out" "$BUILD"
