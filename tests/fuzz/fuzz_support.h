#pragma once
// What every fuzz target shares (tests/fuzz, issue 18).
//
// The rule a target checks: whatever the bytes, a parser either succeeds or
// throws one of embetter's own errors (emb::Error: ModelLoadError,
// InvalidArgument, NotSupportedError). Anything else is a finding and ends the
// run: a signal or a sanitizer report (what libFuzzer looks for), and also any
// other exception escaping (std::bad_alloc from a size read from the file, a
// JSON library exception, std::out_of_range), since callers and the CLI's exit
// codes rely on the typed errors.
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <filesystem>
#include <string>
#include <string_view>
#include <typeinfo>

#include "embetter/error.h"

namespace emb::fuzz {

inline std::string_view as_text(const std::uint8_t* data, std::size_t size) {
  return {reinterpret_cast<const char*>(data), size};
}

/// Runs `body`, letting emb::Error through as the expected outcome of bad
/// input and aborting on any other exception.
template <class Body>
void expect_typed_errors(Body&& body) {
  try {
    body();
  } catch (const emb::Error&) {
    // Bad input, reported as promised.
  } catch (const std::exception& e) {
    std::fprintf(stderr, "fuzz: untyped exception %s: %s\n", typeid(e).name(), e.what());
    std::abort();
  }
}

/// A folder of this process's own for the files a target hands to
/// path-based readers: on tmpfs when there is one, so that a write costs
/// microseconds; removed when the process exits normally.
const std::filesystem::path& scratch_dir();

/// Writes `bytes` to `path` (replacing it).
void write_bytes(const std::filesystem::path& path, std::string_view bytes);

/// The shared fixtures folder: EMB_SHARED_DIR, else the one CMake was told.
std::filesystem::path shared_dir();

}  // namespace emb::fuzz
