#pragma once
// Helpers shared by the test suites: where fixtures live, how a missing
// fixture is treated (a skip locally, a failure under CI=true), and small
// comparison utilities.
#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

#include "embetter/matrix.h"

namespace emb::test {

/// ../shared (override with EMBETTER_SHARED).
std::filesystem::path shared_dir();
/// build/oracles (override with EMB_ORACLE_DIR): goldens written by tests/oracles/*.py.
std::filesystem::path oracle_dir();
/// The virtual environment's Python (override with EMBETTER_PYTHON).
std::filesystem::path python();
/// True under CI=true, where a missing fixture is a failure, not a skip.
bool in_ci();
/// A scratch directory unique to the running test, removed at exit.
std::filesystem::path temp_dir();
/// A writable copy of the folder `from` at temp_dir() / `as` (replacing any
/// earlier copy): the shared fixtures are read-only.
std::filesystem::path writable_copy(const std::filesystem::path& from, const std::string& as);

/// The message of the `E` that `f()` throws; a test failure, and "", when it
/// throws none (or another type escapes, which fails the test on its own).
template <class E, class F>
std::string message_of(F&& f) {
  try {
    f();
  } catch (const E& e) {
    return e.what();
  }
  ADD_FAILURE() << "expected an exception";
  return "";
}

/// Largest |a - b| over two matrices of the same shape.
float max_abs_diff(const Matrix& a, const Matrix& b);

/// A fixture name as a test-name suffix: gtest accepts only [A-Za-z0-9_], so
/// "tiny-bert" becomes "tiny_bert". For INSTANTIATE_TEST_SUITE_P over names
/// (const char* or std::string): pass `test::FixtureParamName()`.
struct FixtureParamName {
  template <class Param>
  std::string operator()(const ::testing::TestParamInfo<Param>& info) const {
    std::string name(info.param);
    for (char& c : name)
      if (c == '-') c = '_';
    return name;
  }
};

}  // namespace emb::test

/// Expects `statement` to throw `type` with a message containing `text`.
#define EMB_EXPECT_THROW_WITH(statement, type, text)                     \
  do {                                                                   \
    try {                                                                \
      statement;                                                         \
      ADD_FAILURE() << "expected " #type " from " #statement;            \
    } catch (const type& e) {                                            \
      EXPECT_THAT(e.what(), ::testing::HasSubstr(text)) << #statement;   \
    }                                                                    \
  } while (0)

/// Skips the test (or fails it under CI=true) when `fixture_path` does not exist.
#define EMB_REQUIRE_FIXTURE(fixture_path)                                                \
  do {                                                                                   \
    const std::filesystem::path emb_fixture_path_ = (fixture_path);                     \
    if (!std::filesystem::exists(emb_fixture_path_)) {                                   \
      if (::emb::test::in_ci()) FAIL() << "missing fixture (CI=true): " << emb_fixture_path_; \
      GTEST_SKIP() << "missing fixture: " << emb_fixture_path_;                          \
    }                                                                                    \
  } while (0)

/// Skips the test with `message` (a reference library or model that is not
/// installed), or fails it under CI=true, where setup.sh installs everything.
#define EMB_SKIP_UNLESS_CI(message)                                              \
  do {                                                                           \
    if (::emb::test::in_ci()) FAIL() << "missing under CI=true: " << message;    \
    GTEST_SKIP() << message << " (bash scripts/setup.sh installs it)";            \
  } while (0)
