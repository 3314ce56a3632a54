#!/usr/bin/env bash
# The NEON kernels on AArch64: cross-compiles tests/arm (the kernels, the
# transformer, their tests) with Debian's aarch64 compiler and runs them
# under qemu-aarch64. Correctness only: emulation says nothing of speed.
# scripts/setup.sh installs the compiler and qemu-user.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${ARM_BUILD_DIR:-build-arm}
cmake -S tests/arm -B "$BUILD" -G Ninja -DCMAKE_TOOLCHAIN_FILE="$PWD/cmake/aarch64-linux-gnu.cmake" -Wno-dev >/dev/null
cmake --build "$BUILD" -j "$(nproc)"
echo "test_arm: running the AArch64 build under qemu-aarch64" >&2
# -L: the cross toolchain's sysroot (its libc and libstdc++).
qemu-aarch64 -L /usr/aarch64-linux-gnu "$BUILD/arm_test" --gtest_brief=1
