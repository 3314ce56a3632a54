#!/usr/bin/env bash
# The C++ suites under the sanitizers (issue 18), each in a build folder of
# its own (build-asan/, build-tsan/), after scripts/setup.sh:
#
#   asan  AddressSanitizer + UndefinedBehaviorSanitizer, every CTest test
#         (the CLI tests run the instrumented `embetter` too);
#   tsan  ThreadSanitizer, the tests whose code runs threads of its own: the
#         spin barrier and OpenBLAS's counted setting, the FeedForwardTuner's
#         two-thread step, encode's worker threads and concurrent encode()
#         calls, the tokenizer's parallel batches, the sparse products' pool.
#         Tests through oneDNN's or OpenBLAS's own thread pools are left out:
#         those libraries are not instrumented, so TSan cannot see their
#         synchronisation and would report races that are not there.
#
# Each build takes ~14 minutes on two cores, so the test command does not run
# this script (it would pass CI's 30 minutes); docs/reliability.md has the last run.
#
#   bash scripts/test_sanitizers.sh [asan|tsan|all]   (default: all)
set -euo pipefail
cd "$(dirname "$0")/.."
which=${1:-all}
SUPP="$PWD/tests/sanitizers"

build() {  # folder, sanitizers
  cmake -S . -B "$1" -G Ninja -DCMAKE_BUILD_TYPE=Release -DEMB_BUILD_BENCH=OFF -DEMB_SANITIZE="$2" >/dev/null
  cmake --build "$1" -j "$(nproc)"
}

if [ "$which" = asan ] || [ "$which" = all ]; then
  build build-asan address,undefined
  (cd build-asan &&
    ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
    LSAN_OPTIONS="suppressions=$SUPP/lsan.supp:print_suppressions=0" \
    UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    ctest --output-on-failure -j 2 --timeout 3000)
fi

if [ "$which" = tsan ] || [ "$which" = all ]; then
  build build-tsan thread
  (cd build-tsan &&
    TSAN_OPTIONS="suppressions=$SUPP/tsan.supp:halt_on_error=1:second_deadlock_stack=1" \
    ctest --output-on-failure -j 2 --timeout 3000 \
      -R 'SpinBarrier|SingleThreadedBlas|FusedFeedForward|FeedForwardTuner\.|SentenceEncoder\.|SentenceModel\.|TokenizerApi.BatchOnTwoThreads|SparseDense')
fi
