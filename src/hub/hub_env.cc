#include "hub/hub_env.h"

#include <algorithm>
#include <cctype>
#include <cstdlib>
#include <fstream>

namespace emb::hub {
namespace {

std::optional<std::string> env(const char* name) {
  const char* v = std::getenv(name);
  if (!v || !*v) return std::nullopt;
  return std::string(v);
}

// Python's os.path.expanduser for the leading "~" (the only form the variables use).
std::filesystem::path expand_user(std::string p) {
  if (!p.empty() && p[0] == '~' && (p.size() == 1 || p[1] == '/')) {
    if (auto home = env("HOME")) p = *home + p.substr(1);
  }
  return p;
}

std::string trim(std::string s) {
  auto not_space = [](unsigned char c) { return !std::isspace(c); };
  s.erase(s.begin(), std::find_if(s.begin(), s.end(), not_space));
  s.erase(std::find_if(s.rbegin(), s.rend(), not_space).base(), s.end());
  return s;
}

bool is_true(const std::optional<std::string>& v) {
  if (!v) return false;
  std::string u = *v;
  std::transform(u.begin(), u.end(), u.begin(), [](unsigned char c) { return std::toupper(c); });
  return u == "1" || u == "ON" || u == "YES" || u == "TRUE";
}

}  // namespace

std::filesystem::path hf_home() {
  if (auto v = env("HF_HOME")) return expand_user(*v);
  if (auto xdg = env("XDG_CACHE_HOME")) return expand_user(*xdg) / "huggingface";
  return expand_user("~/.cache") / "huggingface";
}

std::filesystem::path cache_root() {
  if (auto v = env("HF_HUB_CACHE")) return expand_user(*v);
  if (auto v = env("HUGGINGFACE_HUB_CACHE")) return expand_user(*v);
  return hf_home() / "hub";
}

std::string endpoint() {
  std::string e = env("HF_ENDPOINT").value_or("https://huggingface.co");
  while (!e.empty() && e.back() == '/') e.pop_back();
  return e;
}

bool offline() {
  // Python reads `HF_HUB_OFFLINE or TRANSFORMERS_OFFLINE`: the first non-empty one decides.
  auto v = env("HF_HUB_OFFLINE");
  return is_true(v ? v : env("TRANSFORMERS_OFFLINE"));
}

std::optional<std::string> token() {
  if (auto v = env("HF_TOKEN")) {
    std::string t = trim(*v);
    if (!t.empty()) return t;
  }
  std::filesystem::path path = env("HF_TOKEN_PATH") ? expand_user(*env("HF_TOKEN_PATH")) : hf_home() / "token";
  std::ifstream in(path);
  std::string line;
  if (in && std::getline(in, line)) {
    line = trim(line);
    if (!line.empty()) return line;
  }
  return std::nullopt;
}

}  // namespace emb::hub
