#include "support/test_support.h"

#include <unistd.h>

#include <algorithm>
#include <cmath>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <system_error>

namespace emb::test {
namespace {
std::filesystem::path from_env(const char* var, const char* fallback) {
  const char* v = std::getenv(var);
  return (v && *v) ? std::filesystem::path(v) : std::filesystem::path(fallback);
}
}  // namespace

std::filesystem::path shared_dir() { return from_env("EMBETTER_SHARED", EMB_DEFAULT_SHARED_DIR); }
std::filesystem::path oracle_dir() { return from_env("EMB_ORACLE_DIR", EMB_DEFAULT_ORACLE_DIR); }
std::filesystem::path python() { return from_env("EMBETTER_PYTHON", EMB_DEFAULT_PYTHON); }

bool in_ci() {
  const char* v = std::getenv("CI");
  return v && (std::string(v) == "true" || std::string(v) == "1");
}

namespace {
// A folder made fresh by mkdtemp and removed when the test process exits.
// Keying it on the pid alone was not enough: the sanitizer run reuses pids
// of the main run, and a test then met the files an earlier process left.
struct ScratchFolder {
  std::filesystem::path path;
  pid_t owner = ::getpid();  // a forked child that exits must not remove it
  ScratchFolder() {
    auto info = ::testing::UnitTest::GetInstance()->current_test_info();
    std::string name = info ? std::string(info->test_suite_name()) + "." + info->name() : "emb";
    std::replace(name.begin(), name.end(), '/', '_');
    std::string pattern = (std::filesystem::temp_directory_path() / ("embetter-test-" + name + "-XXXXXX")).string();
    if (!::mkdtemp(pattern.data())) throw std::runtime_error("mkdtemp failed for " + pattern);
    path = pattern;
  }
  ~ScratchFolder() {
    if (::getpid() != owner) return;
    std::error_code ignored;  // a test's own failure already says what went wrong
    std::filesystem::remove_all(path, ignored);
  }
};
}  // namespace

std::filesystem::path temp_dir() {
  static const ScratchFolder folder;
  return folder.path;
}

std::filesystem::path writable_copy(const std::filesystem::path& from, const std::string& as) {
  namespace fs = std::filesystem;
  const fs::path dst = temp_dir() / as;
  fs::remove_all(dst);
  fs::copy(from, dst, fs::copy_options::recursive);
  for (auto& e : fs::recursive_directory_iterator(dst))
    fs::permissions(e.path(), fs::perms::owner_write, fs::perm_options::add);
  fs::permissions(dst, fs::perms::owner_write, fs::perm_options::add);
  return dst;
}

float max_abs_diff(const Matrix& a, const Matrix& b) {
  EXPECT_EQ(a.rows(), b.rows());
  EXPECT_EQ(a.cols(), b.cols());
  float m = 0.0f;
  for (std::size_t i = 0; i < std::min(a.size(), b.size()); ++i)
    m = std::max(m, std::fabs(a.data()[i] - b.data()[i]));
  return m;
}

}  // namespace emb::test
