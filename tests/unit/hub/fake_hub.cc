#include "fake_hub.h"

#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <thread>

#include "hub/http_client.h"
#include "support/test_support.h"

namespace emb::test {
namespace fs = std::filesystem;
namespace {

fs::path server_python() {
  const fs::path py = python();
  return fs::exists(py) ? py : fs::path("/usr/bin/python3");
}

std::vector<char*> to_argv(std::vector<std::string>& args) {
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  return argv;
}

}  // namespace

FakeHub::FakeHub(const fs::path& root, std::vector<std::string> extra_args) {
  std::vector<std::string> args = {server_python().string(), EMB_HUB_SERVER_SCRIPT, "--root", root.string()};
  args.insert(args.end(), extra_args.begin(), extra_args.end());
  int in_pipe[2], out_pipe[2];
  if (::pipe(in_pipe) != 0 || ::pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  pid_ = ::fork();
  if (pid_ == 0) {
    ::dup2(in_pipe[0], STDIN_FILENO);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::close(in_pipe[1]);
    ::close(out_pipe[0]);
    auto argv = to_argv(args);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(in_pipe[0]);
  ::close(out_pipe[1]);
  stdin_fd_ = in_pipe[1];
  // The server prints "PORT <n>" once it listens.
  std::string line;
  char c;
  while (::read(out_pipe[0], &c, 1) == 1 && c != '\n') line += c;
  ::close(out_pipe[0]);
  if (line.rfind("PORT ", 0) != 0) {
    stop();
    throw std::runtime_error("hub_server.py did not start (printed '" + line + "')");
  }
  port_ = std::stoi(line.substr(5));
}

FakeHub::~FakeHub() { stop(); }

void FakeHub::stop() {
  if (stdin_fd_ >= 0) ::close(stdin_fd_);  // the server exits when its stdin closes
  stdin_fd_ = -1;
  if (pid_ > 0) {
    int status = 0;
    for (int i = 0; i < 50; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = -1;
  }
}

nlohmann::json FakeHub::log() const {
  const fs::path tmp = temp_dir() / "hub-log.json";
  std::FILE* f = std::fopen(tmp.c_str(), "wb");
  hub::HttpClient({}).download(endpoint() + "/_log", f, {});
  std::fclose(f);
  return nlohmann::json::parse(read_bytes(tmp));
}

ScopedEnv::ScopedEnv(std::initializer_list<std::pair<std::string, std::optional<std::string>>> vars) {
  for (const auto& [name, value] : vars) {
    const char* old = std::getenv(name.c_str());
    saved_[name] = old ? std::optional<std::string>(old) : std::nullopt;
    if (value)
      ::setenv(name.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
}

ScopedEnv::~ScopedEnv() {
  for (const auto& [name, value] : saved_) {
    if (value)
      ::setenv(name.c_str(), value->c_str(), 1);
    else
      ::unsetenv(name.c_str());
  }
}

std::pair<int, std::string> run_process(const std::vector<std::string>& argv_in) {
  std::vector<std::string> args = argv_in;
  int out_pipe[2];
  if (::pipe(out_pipe) != 0) throw std::runtime_error("pipe failed");
  const pid_t pid = ::fork();
  if (pid == 0) {
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::close(out_pipe[0]);
    auto argv = to_argv(args);
    ::execv(argv[0], argv.data());
    std::_Exit(127);
  }
  ::close(out_pipe[1]);
  std::string out;
  char buf[4096];
  ssize_t n;
  while ((n = ::read(out_pipe[0], buf, sizeof buf)) > 0) out.append(buf, static_cast<std::size_t>(n));
  ::close(out_pipe[0]);
  int status = 0;
  ::waitpid(pid, &status, 0);
  return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

std::vector<std::string> list_tree(const fs::path& dir) {
  std::vector<std::string> out;
  if (!fs::exists(dir)) return out;
  for (const auto& e : fs::recursive_directory_iterator(dir)) {
    if (e.is_symlink() || e.is_regular_file()) out.push_back(e.path().lexically_relative(dir).generic_string());
  }
  std::sort(out.begin(), out.end());
  return out;
}

std::string read_bytes(const fs::path& path) {
  std::ifstream in(path, std::ios::binary);
  std::ostringstream os;
  os << in.rdbuf();
  return os.str();
}

}  // namespace emb::test
