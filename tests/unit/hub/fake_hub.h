#pragma once
// Test helpers for the hub: a FakeHub runs tests/support/hub_server.py (a
// real HTTP server on 127.0.0.1) for the lifetime of the object, and ScopedEnv
// sets environment variables and restores them afterwards.
#include <sys/types.h>

#include <filesystem>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace emb::test {

class FakeHub {
 public:
  /// Serves the folders under `root` as "embetter-test/<folder>"; `extra_args`
  /// go to hub_server.py as they are (--repo, --private, --token, --truncate, --rename).
  explicit FakeHub(const std::filesystem::path& root, std::vector<std::string> extra_args = {});
  ~FakeHub();
  FakeHub(const FakeHub&) = delete;
  FakeHub& operator=(const FakeHub&) = delete;

  std::string endpoint() const { return "http://127.0.0.1:" + std::to_string(port_); }
  /// The requests the server saw: [{method, path, authorization}].
  nlohmann::json log() const;
  void stop();

 private:
  pid_t pid_ = -1;
  int stdin_fd_ = -1;
  int port_ = 0;
};

/// Sets (or, with nullopt, unsets) variables; the destructor restores them.
class ScopedEnv {
 public:
  ScopedEnv(std::initializer_list<std::pair<std::string, std::optional<std::string>>> vars);
  ~ScopedEnv();
  ScopedEnv(const ScopedEnv&) = delete;
  ScopedEnv& operator=(const ScopedEnv&) = delete;

 private:
  std::map<std::string, std::optional<std::string>> saved_;
};

/// Runs `argv` with extra environment variables; returns (exit status, stdout).
std::pair<int, std::string> run_process(const std::vector<std::string>& argv);

/// Every regular file and symlink under `dir`, as '/'-separated relative paths, sorted.
std::vector<std::string> list_tree(const std::filesystem::path& dir);
std::string read_bytes(const std::filesystem::path& path);

}  // namespace emb::test
