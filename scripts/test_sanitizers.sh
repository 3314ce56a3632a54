#!/usr/bin/env bash
# The C++ code under the sanitizers (issue 18), built with clang in folders
# of their own (build-asan/, build-tsan/), after scripts/setup.sh:
#
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer (leaks detected, any
#         report fatal) on the CTest suites; the CLI tests run the
#         instrumented `embetter` too. build-asan/ is also scripts/fuzz.sh's.
#   fuzz  every libFuzzer target of tests/fuzz for FUZZ_SECONDS (default 5 in ci, 10 alone).
#   tsan  ThreadSanitizer on the tests whose code runs threads of its own: the
#         spin barrier and OpenBLAS's counted setting, the FeedForwardTuner's
#         two-thread step, encode's worker threads and concurrent encode()
#         calls, the tokenizer's parallel batches, the sparse products' pool.
#         Tests through oneDNN's or OpenBLAS's own thread pools are left out:
#         those libraries are not instrumented, so TSan cannot see their
#         synchronisation and would report races that are not there.
#
#   bash scripts/test_sanitizers.sh [ci|ci-build|all|asan|fuzz|tsan]   (default: ci)
#
# "ci-build" only compiles what "ci" runs (SANITIZER_JOBS jobs, default 1):
# scripts/test.sh starts it in the background while the Python suites run,
# which leave one of the two cores idle, and "ci" then finds it built.
#
# "all" runs every test of both suites (about an hour on two cores). "ci",
# what the README's test command runs after the main suites, keeps within
# CI's time: it reads the oracles the main build wrote (build/oracles)
# instead of running them again, and leaves out the tests that spend minutes
# on the real all-MiniLM-L6-v2 or on whole-model comparisons at every level
# (SentenceOracle, RealMiniLm*), and the suites run again at narrower
# instruction-set levels (Level.*: Level.generic.SentenceGoldens alone took
# 75 s under ASan, the longest test of the run, and its kernels are not
# instrumented in this mode anyway): the same code paths run under the
# sanitizers on the tiny fixtures in the tests that remain. It also compiles
# the SIMD levels' kernels without instrumentation (EMB_SANITIZE_KERNELS=OFF).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/sanitized_build.sh
mode=${1:-ci}
SUPP="$PWD/tests/sanitizers"
JOBS=${SANITIZER_JOBS:-$(nproc)}
[ "$mode" = ci-build ] && JOBS=${SANITIZER_JOBS:-1}

TSAN_TESTS='SpinBarrier|SingleThreadedBlas|FusedFeedForward|FeedForwardTuner\.|SentenceEncoder\.|SentenceModel\.|TokenizerApi.BatchOnTwoThreads|SparseDense'
TSAN_TARGETS=(core_test train_test sentence_encoder_test sentence_model_test tokenizers_test linalg_tests)
SLOW_TESTS='SentenceOracle|RealMiniLm|^Level\.'

ctest_args=(--output-on-failure -j "$JOBS" --timeout 3000)
configure_args=(-DEMB_SANITIZE_KERNELS=ON)
if [ "$mode" = ci ] || [ "$mode" = ci-build ]; then
  ctest_args+=(-FA '.*')   # oracle setups: the main build ran them
  # The SIMD levels' kernels are pure arithmetic on buffers that the
  # instrumented callers size; instrumenting them is a third of the build.
  configure_args=(-DEMB_SANITIZE_KERNELS=OFF -DEMB_ORACLE_DIR="$PWD/${BUILD_DIR:-build}/oracles")
fi

build_asan() {
  configure_sanitized build-asan address,undefined,fuzzer-no-link -DEMB_BUILD_FUZZ=ON "${configure_args[@]}"
  cmake --build build-asan -j "$JOBS"
}

build_tsan() {
  configure_sanitized build-tsan thread -DEMB_BUILD_CLI=OFF "${configure_args[@]}"
  cmake --build build-tsan -j "$JOBS" --target "${TSAN_TARGETS[@]}"
}

run_asan() {
  build_asan
  local exclude=()
  # ci: the oracle scripts too (they are Python, and the main run wrote their goldens).
  [ "$mode" = ci ] && exclude=(-E "$SLOW_TESTS|^oracle\\.")
  (cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest "${ctest_args[@]}" "${exclude[@]}")
}

run_tsan() {
  build_tsan
  (cd build-tsan &&
    TSAN_OPTIONS="suppressions=$SUPP/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
    ctest "${ctest_args[@]}" -R "$TSAN_TESTS")
}

case "$mode" in
  ci) run_asan; bash scripts/fuzz.sh "${FUZZ_SECONDS:-5}"; run_tsan ;;
  ci-build) build_asan; build_tsan ;;
  all) run_asan; bash scripts/fuzz.sh "${FUZZ_SECONDS:-60}"; run_tsan ;;
  asan) run_asan ;;
  fuzz) bash scripts/fuzz.sh "${FUZZ_SECONDS:-10}" ;;
  tsan) run_tsan ;;
  *) echo "usage: $0 [ci|ci-build|all|asan|fuzz|tsan]" >&2; exit 2 ;;
esac
